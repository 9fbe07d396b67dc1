# embed.cmake: write the bytes of IN as the C array cap_xsd (cap_int.h) into OUT.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],){16}" "\\0\n" body "${body}")
file(WRITE ${OUT} "/* Generated from CAP-v1.2.xsd by cap/embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char cap_xsd[];\nextern const size_t cap_xsd_len;\n"
  "const unsigned char cap_xsd[] = {\n${body}\n};\n"
  "const size_t cap_xsd_len = ${bytes};\n")
