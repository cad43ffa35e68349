#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

/// inflateInit2 is a macro, which Swift cannot call: this initialises a
/// stream that reads the gzip format (RFC 1952) only, header and trailer
/// checked by zlib.
int cz_inflate_init_gzip(z_stream *stream);

#endif
