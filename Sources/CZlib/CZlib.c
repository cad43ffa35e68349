#include "CZlib.h"

int cz_inflate_init_gzip(z_stream *stream) {
	// 16 + MAX_WBITS: gzip wrapper only, the largest window.
	return inflateInit2(stream, 16 + MAX_WBITS);
}
