/*
 * keyfile.h: private to crypto/ (not part of its public API, which is crypto.h).
 *
 * The file handling shared by the signing key file (key.c) and the transport key file
 * (tkey.c): both are small fixed-size binary files holding secret key material, written
 * once with mode 0600 and refused at load time when group or others may access them. The
 * callers own the format (magic, version, layout) and the buffers, which should be
 * sodium_malloc() memory since they hold secrets.
 */
#ifndef FH_CRYPTO_KEYFILE_H
#define FH_CRYPTO_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read the file at path into buf, which must be exactly len bytes long. Does not follow a
 * symbolic link (the permission check must be about the file read). Returns 0, an errno
 * value, FC_EKEYPERM when group or others may access the file ((st_mode & 077) != 0, as ssh
 * does), or FC_EKEYFMT when it is not a regular file or not exactly len bytes.
 */
int	keyfile_read(const char *path, uint8_t *buf, size_t len);
/*
 * Create path with mode 0600 and write len bytes of buf to it, fsync() it and its
 * directory. Never replaces an existing file (EEXIST) nor follows a planted link. On
 * failure a partly written file is removed. Returns 0 or an errno value.
 */
int	keyfile_write(const char *path, const uint8_t *buf, size_t len);

#endif /* FH_CRYPTO_KEYFILE_H */
