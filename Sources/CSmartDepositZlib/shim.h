#ifndef CSMARTDEPOSIT_ZLIB_SHIM_H
#define CSMARTDEPOSIT_ZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro; this makes it callable from Swift. 15 + 16
/// accepts a gzip header and trailer only.
static inline int czlib_inflate_init_gzip(z_streamp stream) {
  return inflateInit2(stream, 15 + 16);
}
#endif
