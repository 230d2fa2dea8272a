/* Helpers shared by the kernels. */
#ifndef DLK_COMMON_H
#define DLK_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*@ dlk_common */
#define DLK_MAX_RANK 8
/* A function kept out of its caller: a register-blocked kernel (inlined
 * into a loop that holds its own state, clang spilled the 24 accumulators
 * of the product's micro-kernel to the stack every step), or one with a
 * large stack block (clang inlined the product's block, matrix-vector and
 * small-product tasks into one frame of 290 KB, and ResNet-50 then needed
 * a 336 KB thread stack where gcc's build runs on 320). */
#if defined(__GNUC__)
#define DLK_NOINLINE __attribute__((noinline))
#else
#define DLK_NOINLINE
#endif
/* A small vector function called from inside a kernel's loop, inlined
 * always: a call would clobber every vector register (all are caller-saved),
 * and gcc declined to inline the depthwise kernels' activation (Sigmoid's
 * polynomial made it look big), 1.4x slower than the pass it replaced. */
#if defined(__GNUC__)
#define DLK_INLINE __attribute__((always_inline)) inline
#else
#define DLK_INLINE inline
#endif
/* Before a loop over a tile's registers (a count that is constant once
 * inlined): unrolled whole, so its accumulators stay in registers. gcc
 * does so unasked; clang 14 kept the direct conv's 3 x 7 tile in a stack
 * array (ResNet-50's stem 1.34 ms with gcc, 3.40 with clang; 1.42 with
 * this). */
#define DLK_PRAGMA_(x) _Pragma(#x)
#if defined(__clang__)
#define DLK_UNROLL_TILE DLK_PRAGMA_(clang loop unroll(full))
#else
#define DLK_UNROLL_TILE
#endif
/* Where gcc does not unroll unasked: loops over a few taps and rows whose
 * bodies test their indices (gcc kept the depthwise kernel's shared-row
 * loops rolled, 1.3x slower). Not for clang: its unroll(full) warns
 * (-Wpass-failed) where the same loops run with counts known only at run
 * time. */
#if defined(__GNUC__) && !defined(__clang__)
#define DLK_UNROLL DLK_PRAGMA_(GCC unroll 16)
#else
#define DLK_UNROLL
#endif
/* A vector loaded once and used by several multiply-adds, kept in its
 * register: gcc folded the direct conv's input load into each of a tile's
 * 3 multiply-adds as a memory operand (three loads of one vector per tap,
 * load-bound: ShuffleNet's 3 -> 24 3x3/2 stem 0.186 -> 0.145 ms with this).
 * An empty asm that takes the value in a vector register. */
#if defined(__GNUC__) && defined(__AVX512F__)
#define DLK_IN_REG(v) __asm__("" : "+v"(v))
#else
#define DLK_IN_REG(v) ((void)0)
#endif
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

/*@ dlk_row16 : dlk_lanes16 */
#if defined(__AVX512F__)
/* The 16 values at column c of a row of n: a plain load when they are all
 * in the row, else the row's lanes and `fill` in the others. */
static DLK_INLINE __m512 dlk_row16(const float *x, int64_t c, int64_t n, __m512 fill)
{
    if (c >= 0 && c + 16 <= n)
        return _mm512_loadu_ps(x + c);
    return _mm512_mask_loadu_ps(fill, dlk_lanes16(c, n), x + c);
}

/* Lanes n .. n + 15 of lo's 16 lanes followed by hi's (0 <= n <= 16). */
#define DLK_ALIGN16(hi, lo, n) \
    _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), n))
#endif
/*@end*/

/*@ dlk_transpose16 : dlk_common */
#if defined(__AVX512F__)
#include <immintrin.h>
/* v[i] lane j <-> v[j] lane i: a 16 x 16 block of floats transposed in
 * registers (rows of channels in, rows of pixels out, and back). Pairs of
 * rows interleave by 32 bits, then by 64; two rounds of 128-bit lane
 * shuffles finish it: 64 shuffles for 256 values. */
static inline void dlk_transpose16(__m512 v[16])
{
    __m512 t[16], u[16], s[16];
    int i, e;
    for (i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
    }
    /* u[4g + e], 128-bit lane k: rows 4g .. 4g+3 at column 4k + e */
    for (i = 0; i < 16; i += 4) {
        u[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        u[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        u[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        u[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    /* s[e]: lanes 0 and 2 of u[e] and u[4+e]; s[4+e]: lanes 1 and 3; the
     * same for rows 8 .. 15 in s[8+e], s[12+e] */
    for (e = 0; e < 4; e++) {
        s[e] = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88);
        s[4 + e] = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
        s[8 + e] = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88);
        s[12 + e] = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
    }
    /* column 4k + e */
    for (e = 0; e < 4; e++) {
        v[e] = _mm512_shuffle_f32x4(s[e], s[8 + e], 0x88);
        v[8 + e] = _mm512_shuffle_f32x4(s[e], s[8 + e], 0xDD);
        v[4 + e] = _mm512_shuffle_f32x4(s[4 + e], s[12 + e], 0x88);
        v[12 + e] = _mm512_shuffle_f32x4(s[4 + e], s[12 + e], 0xDD);
    }
}
#endif
/*@end*/

#endif
