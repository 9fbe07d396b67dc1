# What `cmake --install` puts beside the binaries (man pages, bash completion, the sample
# configuration, the documentation), and the Debian package built from the same install
# rules by CPack: `cpack -G DEB` in the build directory, or `bash tools/setup.sh deb`, which
# configures with CMAKE_INSTALL_PREFIX=/usr. The maintainer scripts, the sample
# configuration and the completion are in tools/package/.
include(GNUInstallDirs)
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(FH_PKG_SRC ${PROJECT_SOURCE_DIR}/tools/package)
set(FH_PKG_BIN ${PROJECT_BINARY_DIR}/package)
set(FH_MAINTAINER "fenghuo maintainers <maintainers@users.noreply.h-seed-1229b77b.example>")

# Man pages (docs/man, mdoc), gzip -9n as Debian ships them; man reads either.
set(FH_MAN_GZ "")
foreach(page fenghuo.1 fenghuo-linksim.1 fenghuod.8 fenghuod.conf.5)
  string(REGEX MATCH "[0-9]$" section ${page})
  add_custom_command(OUTPUT ${FH_PKG_BIN}/${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${FH_PKG_BIN}
    COMMAND ${GZIP_EXECUTABLE} -9nc ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${FH_PKG_BIN}/${page}.gz
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page} VERBATIM)
  list(APPEND FH_MAN_GZ ${FH_PKG_BIN}/${page}.gz)
  install(FILES ${FH_PKG_BIN}/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

# The changelog Debian wants in every package (a native one: changelog.gz).
set(FH_CHANGELOG_GIT "")
if(FH_GIT_COMMIT)
  set(FH_CHANGELOG_GIT " (git ${FH_GIT_COMMIT})")
endif()
string(TIMESTAMP FH_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${FH_PKG_SRC}/changelog.in ${FH_PKG_BIN}/changelog @ONLY)
add_custom_command(OUTPUT ${FH_PKG_BIN}/changelog.gz
  COMMAND ${GZIP_EXECUTABLE} -9nc ${FH_PKG_BIN}/changelog > ${FH_PKG_BIN}/changelog.gz
  DEPENDS ${FH_PKG_BIN}/changelog VERBATIM)
add_custom_target(fh_package_files ALL DEPENDS ${FH_MAN_GZ} ${FH_PKG_BIN}/changelog.gz)

install(FILES ${FH_PKG_SRC}/fenghuo.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME fenghuo)
# The sample configuration: /etc/fenghuo with the prefix /usr (the package, a conffile),
# else under the prefix (/usr/local/etc/fenghuo), never over an administrator's /etc file.
install(FILES ${FH_PKG_SRC}/fenghuod.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/fenghuo)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/CLI.md
  ${PROJECT_SOURCE_DIR}/docs/CONFIG.md ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
  ${PROJECT_SOURCE_DIR}/docs/TRUST.md ${PROJECT_SOURCE_DIR}/docs/SECURITY.md
  ${PROJECT_SOURCE_DIR}/docs/PROTOCOL.md ${PROJECT_SOURCE_DIR}/docs/BUNDLE.md
  ${PROJECT_SOURCE_DIR}/docs/STORE.md ${FH_PKG_SRC}/copyright ${FH_PKG_BIN}/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# conffiles: what dpkg keeps when the administrator changed it.
file(WRITE ${FH_PKG_BIN}/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/fenghuo/fenghuod.conf\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fenghuo)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${FH_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "peer-to-peer messaging node for county emergency management")
# The extended description (CPack puts the summary above it as the synopsis).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "Every county centre, township server and village laptop runs the daemon
fenghuod; together they form a mesh that carries signed incident reports
upward and official warnings downward over whatever links remain when the
central network is down. The CLI fenghuo writes reports, warnings and
receipts, and shows what arrived and who confirmed it.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries from dpkg-shlibdeps (every shared library fenghuo, fenghuod and the linksim link:
# libsodium, libzmq, liblmdb, libmicrohttpd, libcmark-gfm and its extensions for the board's
# drill reports, ...; `dpkg-deb -f fenghuo_*.deb Depends` lists them); adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${FH_PKG_SRC}/postinst;${FH_PKG_SRC}/prerm;${FH_PKG_SRC}/postrm;${FH_PKG_BIN}/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES ON)
# Install into the staging tree with DESTDIR, so that /etc and /lib stay inside it.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
include(CPack)
