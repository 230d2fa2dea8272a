/* Helpers shared by the kernels. */
#ifndef DLK_COMMON_H
#define DLK_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*@ dlk_common */
#define DLK_MAX_RANK 8
/*@end*/

/*@ dlk_lanes16 : dlk_common */
#if defined(__AVX512F__)
#include <immintrin.h>
/* The lanes l of a 16-value load at column c0 of a row of n values with
 * 0 <= c0 + l < n. Loads with this mask may start before the row or end
 * past it: the other lanes are never touched (they read as zero, or as the
 * given value with a merge load). */
static __mmask16 dlk_lanes16(int64_t c0, int64_t n)
{
    const int64_t lo = c0 < 0 ? -c0 : 0, hi = n - c0 < 16 ? n - c0 : 16;
    if (hi <= lo)
        return 0;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}
#endif
/*@end*/

#endif
