#ifndef CALLOCCOUNTER_H
#define CALLOCCOUNTER_H
#include <stdint.h>
/// Number of heap allocations (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc) made so far by code linked into this executable. Counts every
/// allocation only in the static build (`-static-executable`), where the linker
/// wraps the Swift runtime's calls too; a dynamic build sees its own objects only.
uint64_t alloc_counter_count(void);
/// 1 when this executable is statically linked (the count is complete).
int alloc_counter_is_complete(void);
#endif
