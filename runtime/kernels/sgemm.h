/* Packed single-precision matrix product with register-blocked micro-kernels.
 *
 * C (m x n, row-major, ldc) = or += A (m x k, row-major, lda) x B (k x n).
 * A is the weights and is read in place: the micro-kernel broadcasts
 * A[i][p] straight from memory into an FMA, so a constant A needs no copy.
 * B (an activation: im2col panel, a matrix, a matrix read transposed) is
 * copied by a caller-supplied routine into a stack block of KC rows x NC
 * columns, cut into panels of NR columns: panel q holds Bp[p][0..NR-1] for
 * p < kc, columns beyond n are zero. A KC x NC block (256 KB) stays
 * in L2 while every MR-row strip of A (MR x kc, in L1) sweeps its panels.
 *
 * Micro-kernels, chosen when the generated file is compiled:
 *   AVX-512F         MR 12 x NR 32  (24 zmm accumulators, 2 for B)
 *   AVX2 + FMA       MR 6 x NR 16   (12 ymm accumulators, 2 for B)
 *   portable C99     MR 4 x NR 16   (fixed-size inner loops, gcc -O2 vectorises)
 * Ragged edges: rows past m re-read A's last valid row and are never stored;
 * columns past n are masked (AVX-512) or go through a small tile (others).
 * The sums run in k order per output (the portable kernel adds four
 * products at a time), and the FMA contraction differs between paths, so
 * results agree with a plain loop to rounding only. */
#ifndef DLK_SGEMM_H
#define DLK_SGEMM_H

#include "common.h"
#include "epilogue.h"
#include "parallel.h"

/*@ dlk_sgemm_kernel : dlk_common dlk_lanes16 dlk_relu_clip_avx512 */
#if defined(__AVX512F__)
#include <immintrin.h>
#define DLK_SGEMM_MR 12
#define DLK_SGEMM_NR 32
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define DLK_SGEMM_MR 6
#define DLK_SGEMM_NR 16
#else
#define DLK_SGEMM_MR 4
#define DLK_SGEMM_NR 16
#endif
/* A KC x NC block of packed B lives on the stack of whoever runs it (256 KB;
 * a product with small stacks may lower them: NC a multiple of NR). 256 x
 * 256 ran light ResNet-50 about 3% faster here than 256 x 192. */
#ifndef DLK_SGEMM_KC
#define DLK_SGEMM_KC 256
#endif
#ifndef DLK_SGEMM_NC
#define DLK_SGEMM_NC 256
#endif
/* Products of at most SMALL_M rows and k up to SMALL_K with B a plain
 * matrix read it in place (dlk_sgemm_small_task_f32, AVX-512 builds). */
#define DLK_SGEMM_SMALL_M 48
#define DLK_SGEMM_SMALL_K 512
/* The widest block (a multiple of NR) when k is short. */
#ifndef DLK_SGEMM_NC_MAX
#define DLK_SGEMM_NC_MAX 2048
#endif
/* A product of k at most CPF_K asks for the C lines of the tile two panels
 * ahead (PREFETCHW) before each tile: its tiles take a few hundred cycles,
 * and in a model C (a wide layer's output) is out of cache, its 12 rows'
 * stores waiting on memory. */
#ifndef DLK_SGEMM_CPF_K
#define DLK_SGEMM_CPF_K 64
#endif

/* The MR rows of A a strip reads: rows past mr repeat the last valid one. */
static void dlk_sgemm_rows(const float *a, int64_t lda, int64_t mr, const float **rows)
{
    int i;
    for (i = 0; i < DLK_SGEMM_MR; i++)
        rows[i] = a + (i < mr ? i : mr - 1) * lda;
}

/* The part of an epilogue a micro-kernel can apply to its registers before
 * the final store: a residual (r: the tile's first element, ldr; NULL:
 * none) added before or after Relu or Clip. A small-K product (MobileNet's
 * 16 -> 96 channels) does fewer multiply-adds per output than a separate
 * pass over the tile costs. Only the AVX-512 kernels take it
 * (DLK_SGEMM_FUSES); elsewhere the caller runs the whole epilogue. */
typedef struct dlk_sgemm_fuse {
    const float *r;
    int64_t ldr;
    int res_after, relu, clip;
    float lo, hi;
} dlk_sgemm_fuse;

/* Rows of a later block of B (a plain matrix) a whole-strip kernel asks
 * for into L2 as it runs, one row (32 columns) per step: b, rows, ldb. */
typedef struct dlk_sgemm_ahead {
    const float *b;
    int64_t rows, ldb;
} dlk_sgemm_ahead;

#if defined(__AVX512F__)
#define DLK_SGEMM_FUSES 1
static __m512 dlk_sgemm_fix(const dlk_sgemm_fuse *f, __m512 v, int64_t row, int64_t col, __mmask16 m)
{
    if (f->r != NULL && !f->res_after)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, f->r + row * f->ldr + col));
    v = dlk_relu_clip_avx512(v, f->relu, f->clip, f->lo, f->hi);
    if (f->r != NULL && f->res_after)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, f->r + row * f->ldr + col));
    return v;
}

/* Weights come from memory once per run (ResNet-50's 7x7 layers: 4-9 MB
 * each, read for 49 columns), and a strip's 12 rows, lda apart, are 12
 * short streams the hardware prefetcher barely starts on. So while a strip
 * runs its first panel, the kernel prefetches the next strip's rows of this
 * k block into L2 (when that strip is a whole one), one cache line per step
 * of p. With weights cold: 2048 x 512 x 49 1.25 -> 1.09 ms, 516 x 4608 x 49
 * 2.43 -> 2.19 ms; light ResNet-50 66.0 -> 62.1 ms at 1 thread (T0, into L1,
 * ran the same). */
#define DLK_SG_PF_DECL                                                          \
    const int64_t pf_lines = (kc + 15) / 16;                                    \
    int64_t pf_line = 0, pf_row = 0;
#define DLK_SG_PF                                                               \
    if (next != NULL) {                                                         \
        _mm_prefetch((const char *)(next + pf_line * 16), _MM_HINT_T1);         \
        if (++pf_line == pf_lines) {                                            \
            pf_line = 0;                                                        \
            next += lda;                                                        \
            if (++pf_row == DLK_SGEMM_MR)                                       \
                next = NULL;                                                    \
        }                                                                       \
    }
#define DLK_SG_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define DLK_SG_DECL(i) __m512 c##i##a, c##i##b; const float *a##i = ar[i];
#define DLK_SG_INIT(i)                                                          \
    if (acc && i < mr) {                                                        \
        c##i##a = _mm512_maskz_loadu_ps(m0, c + i * ldc);                       \
        c##i##b = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16);                  \
    } else {                                                                    \
        c##i##a = c##i##b = _mm512_set1_ps(bias != NULL && !acc ? bias[i < mr ? i : 0] : 0.0f); \
    }
#define DLK_SG_FMA(i)                                                           \
    {                                                                           \
        const __m512 av = _mm512_set1_ps(a##i[p]);                              \
        c##i##a = _mm512_fmadd_ps(av, b0, c##i##a);                             \
        c##i##b = _mm512_fmadd_ps(av, b1, c##i##b);                             \
    }
#define DLK_SG_STORE(i)                                                         \
    if (i < mr) {                                                               \
        if (fz != NULL) {                                                       \
            c##i##a = dlk_sgemm_fix(fz, c##i##a, i, 0, m0);                     \
            c##i##b = dlk_sgemm_fix(fz, c##i##b, i, 16, m1);                    \
        }                                                                       \
        _mm512_mask_storeu_ps(c + i * ldc, m0, c##i##a);                        \
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c##i##b);                   \
    }

/* c[0..mr)[0..nr) (ldc) = (acc ? c : bias[i] or 0) + a[0..mr)[0..kc) x bp,
 * for mr up to the ROWS of NAME: a short last strip (64 channels are
 * 5 x 12 + 4) runs on a narrower kernel instead of computing 12 rows. */
#define DLK_SG_KERNEL(NAME, ROWS)                                                             \
    static void NAME(int64_t kc, const float *a, int64_t lda, int64_t mr, int64_t nr,       \
                     const float *bp, float *c, int64_t ldc, const float *bias, int acc,     \
                     const dlk_sgemm_fuse *fz)                                               \
    {                                                                                         \
        const float *ar[DLK_SGEMM_MR];                                                        \
        const __mmask16 m0 = dlk_lanes16(0, nr);                                              \
        const __mmask16 m1 = dlk_lanes16(16, nr);                                             \
        int64_t p;                                                                            \
        dlk_sgemm_rows(a, lda, mr, ar);                                                       \
        {                                                                                     \
            ROWS(DLK_SG_DECL)                                                                 \
            ROWS(DLK_SG_INIT)                                                                 \
            for (p = 0; p < kc; p++) {                                                        \
                const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);         \
                bp += 32;                                                                     \
                ROWS(DLK_SG_FMA)                                                              \
            }                                                                                 \
            ROWS(DLK_SG_STORE)                                                                \
        }                                                                                     \
    }
#define DLK_SG_ROWS4(X) X(0) X(1) X(2) X(3)
#define DLK_SG_ROWS8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
DLK_SG_KERNEL(dlk_sgemm_micro12_f32, DLK_SG_ROWS)

/* A whole strip of 12 rows, the common case: row i is read at
 * base[(i % 3) lda] from four bases that step along k (rows 0, 3, 6, 9),
 * so the loop needs four pointers and lda, 4 lda, 8 lda as the addresses'
 * index and scale, where twelve row pointers plus the prefetch's state
 * spilled to the stack (gcc reloaded four of them every step): ResNet-50
 * 62.1 -> 57.6-59.2 ms. NV: vectors of B per step, 2 (32 columns) or 1
 * (a last panel of at most 16). */
/* Two steps per loop pass. clang 14 hoisted the second step's broadcasts
 * over the first's multiply-adds and spilled accumulators to the stack
 * every step (44 % of the FMA peak on a hot 516 x 256 x 256 product, gcc
 * 84 %); an empty asm statement that takes the 24 accumulators in
 * registers between the steps keeps them there: six hot products, two
 * alternated rounds, 70-84 % (one step per pass instead: 57-72 %; gcc
 * 71-87 %). gcc needs no such thing (and counts the operands twice, past
 * its limit of 30). */
#if defined(__clang__)
#define DLK_SG_PIN                                                                               \
    __asm__("" : "+v"(c0a), "+v"(c0b), "+v"(c1a), "+v"(c1b), "+v"(c2a), "+v"(c2b), "+v"(c3a),   \
                 "+v"(c3b), "+v"(c4a), "+v"(c4b), "+v"(c5a), "+v"(c5b), "+v"(c6a), "+v"(c6b),   \
                 "+v"(c7a), "+v"(c7b), "+v"(c8a), "+v"(c8b), "+v"(c9a), "+v"(c9b), "+v"(c10a),  \
                 "+v"(c10b), "+v"(c11a), "+v"(c11b));
#else
#define DLK_SG_PIN
#endif
#define DLK_SG_BASE(i) (i < 3 ? r0 : i < 6 ? r3 : i < 9 ? r6 : r9)
#define DLK_SG_DECLF(i) __m512 c##i##a, c##i##b;
#define DLK_SG_FMAF(i)                                                          \
    {                                                                           \
        const __m512 av = _mm512_set1_ps(DLK_SG_BASE(i)[(i % 3) * lda + d]);    \
        c##i##a = _mm512_fmadd_ps(av, b0, c##i##a);                             \
        if (nv == 2)                                                            \
            c##i##b = _mm512_fmadd_ps(av, b1, c##i##b);                         \
    }
#define DLK_SG_STEPF(D)                                                         \
    {                                                                           \
        const int64_t d = D;                                                    \
        const __m512 b0 = _mm512_loadu_ps(bp + 32 * d);                         \
        const __m512 b1 = nv == 2 ? _mm512_loadu_ps(bp + 32 * d + 16) : b0;     \
        if (p + d < ahn) {                                                      \
            _mm_prefetch((const char *)(ahb + (p + d) * ahld), _MM_HINT_T1);    \
            _mm_prefetch((const char *)(ahb + (p + d) * ahld + 16), _MM_HINT_T1); \
        }                                                                       \
        DLK_SG_PF                                                               \
        DLK_SG_ROWS(DLK_SG_FMAF)                                                \
    }
#define DLK_SG_FULL(NAME, NV)                                                                 \
    DLK_NOINLINE static void NAME(int64_t kc, const float *a, int64_t lda, int64_t nr, const float *bp,   \
                     float *c, int64_t ldc, const float *bias, int acc,                      \
                     const dlk_sgemm_fuse *fz, const float *next, const dlk_sgemm_ahead *ah)  \
    {                                                                                         \
        DLK_SG_PF_DECL                                                                        \
        const float *ahb = ah != NULL ? ah->b : NULL;                                         \
        const int64_t ahn = ah != NULL ? ah->rows : 0, ahld = ah != NULL ? ah->ldb : 0;       \
        const int64_t mr = DLK_SGEMM_MR, nv = NV;                                             \
        const __mmask16 m0 = dlk_lanes16(0, nr);                                              \
        const __mmask16 m1 = dlk_lanes16(16, nr);                                             \
        const float *r0 = a, *r3 = a + 3 * lda, *r6 = a + 6 * lda, *r9 = a + 9 * lda;         \
        int64_t p;                                                                            \
        DLK_SG_ROWS(DLK_SG_DECLF)                                                             \
        DLK_SG_ROWS(DLK_SG_INIT)                                                              \
        for (p = 0; p + 2 <= kc; p += 2) {                                                    \
            DLK_SG_STEPF(0)                                                                   \
            DLK_SG_PIN                                                                        \
            DLK_SG_STEPF(1)                                                                   \
            bp += 64;                                                                         \
            r0 += 2;                                                                          \
            r3 += 2;                                                                          \
            r6 += 2;                                                                          \
            r9 += 2;                                                                          \
        }                                                                                     \
        if (p < kc)                                                                           \
            DLK_SG_STEPF(0)                                                                   \
        DLK_SG_ROWS(DLK_SG_STORE)                                                             \
    }
DLK_SG_FULL(dlk_sgemm_micro12f_f32, 2)
DLK_SG_FULL(dlk_sgemm_micro12x16f_f32, 1)

/* The whole-strip kernel for a block's first strip when B is a plain matrix
 * (b: row p at b + p*ldb): it reads each row's 32 columns in place, uses
 * them, and writes them into the panel bp for the strips after it, so the
 * block is packed while its first strip multiplies instead of in a pass of
 * its own; and asks for the same rows of the next panel (pf; NULL: none)
 * into L2, one row per step. The same values in the same order as packing
 * first, so the same bits. */
#define DLK_SG_STEPB(D)                                                         \
    {                                                                           \
        const int64_t d = D;                                                    \
        const __m512 b0 = _mm512_loadu_ps(b + d * ldb);                         \
        const __m512 b1 = _mm512_loadu_ps(b + d * ldb + 16);                    \
        _mm512_storeu_ps(bp + 32 * d, b0);                                      \
        _mm512_storeu_ps(bp + 32 * d + 16, b1);                                 \
        if (pf != NULL) {                                                       \
            _mm_prefetch((const char *)(pf + d * ldb), _MM_HINT_T1);            \
            _mm_prefetch((const char *)(pf + d * ldb + 16), _MM_HINT_T1);       \
        }                                                                       \
        DLK_SG_PF                                                               \
        DLK_SG_ROWS(DLK_SG_FMAF)                                                \
    }
DLK_NOINLINE static void dlk_sgemm_micro12b_f32(int64_t kc, const float *a, int64_t lda, const float *b, int64_t ldb,
                                   float *bp, const float *pf, float *c, int64_t ldc, const float *bias,
                                   int acc, const dlk_sgemm_fuse *fz, const float *next)
{
    DLK_SG_PF_DECL
    const int64_t mr = DLK_SGEMM_MR, nv = 2;
    const __mmask16 m0 = 0xffff, m1 = 0xffff;
    const float *r0 = a, *r3 = a + 3 * lda, *r6 = a + 6 * lda, *r9 = a + 9 * lda;
    int64_t p;
    DLK_SG_ROWS(DLK_SG_DECLF)
    DLK_SG_ROWS(DLK_SG_INIT)
    for (p = 0; p + 2 <= kc; p += 2) {
        DLK_SG_STEPB(0)
        DLK_SG_PIN
        DLK_SG_STEPB(1)
        b += 2 * ldb;
        if (pf != NULL)
            pf += 2 * ldb;
        bp += 64;
        r0 += 2;
        r3 += 2;
        r6 += 2;
        r9 += 2;
    }
    if (p < kc)
        DLK_SG_STEPB(0)
    DLK_SG_ROWS(DLK_SG_STORE)
}
#undef DLK_SG_STEPB
#undef DLK_SG_PIN
#undef DLK_SG_BASE
#undef DLK_SG_DECLF
#undef DLK_SG_FMAF
#undef DLK_SG_STEPF
#undef DLK_SG_FULL
DLK_SG_KERNEL(dlk_sgemm_micro8_f32, DLK_SG_ROWS8)
DLK_SG_KERNEL(dlk_sgemm_micro4_f32, DLK_SG_ROWS4)

/* A whole strip's last panel of 16 + e columns, e = 1 .. DLK_SGEMM_DOT_MAX
 * (a 7x7 output's 49 = 32 + 17 columns): the first 16 run on the one-vector
 * kernel, and each of the e others as twelve dot products of A's rows with
 * the column, 16 values of k at a time, instead of a second vector with
 * 16 - e lanes idle. The columns are read from cols (kc values each, kc
 * apart), copied out of the panel once per block by dlk_sgemm_edge_cols:
 * copied by each strip (a strided scalar loop per column), they cost 3 % of
 * ResNet-50's run. One thread, operands from L2/L3: 512 x 4608 x 49 1.79-1.83 ->
 * 1.76 ms, 2048 x 512 x 49 0.78-0.81 -> 0.77 ms; light ResNet-50's 7x7
 * layers 14.5 -> 13.9 ms. A panel of e columns alone (196 = 6 x 32 + 4)
 * ran slower as dot products than as one vector (1024 x 256 x 196: 0.64 ->
 * 0.65 ms), so it stays on the vector kernel. */
#define DLK_SGEMM_DOT_MAX 4
static void dlk_sgemm_edge_cols(int64_t kc, int64_t nr, const float *bp, float *cols)
{
    int64_t j, p;
    for (j = 16; j < nr; j++, cols += kc)
        for (p = 0; p < kc; p++)
            cols[p] = bp[p * DLK_SGEMM_NR + j];
}

static void dlk_sgemm_micro12e_f32(int64_t kc, const float *a, int64_t lda, int64_t nr, const float *bp,
                                   float *c, int64_t ldc, const float *bias, int acc,
                                   const dlk_sgemm_fuse *fz, const float *next, const dlk_sgemm_ahead *ah,
                                   const float *cols)
{
    const int64_t e = nr - 16;
    const __mmask16 me = dlk_lanes16(0, e);
    float dots[DLK_SGEMM_MR][16];
    int64_t i, j, p;
    for (j = 0; j < e; j++) {
        const float *col = cols + j * kc;
        __m512 d[DLK_SGEMM_MR];
        for (i = 0; i < DLK_SGEMM_MR; i++)
            d[i] = _mm512_setzero_ps();
        for (p = 0; p < kc; p += 16) {
            const __mmask16 m = dlk_lanes16(p, kc);
            const __m512 b = _mm512_maskz_loadu_ps(m, col + p);
            for (i = 0; i < DLK_SGEMM_MR; i++)
                d[i] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i * lda + p), b, d[i]);
        }
        for (i = 0; i < DLK_SGEMM_MR; i++)
            dots[i][j] = _mm512_reduce_add_ps(d[i]);
    }
    dlk_sgemm_micro12x16f_f32(kc, a, lda, 16, bp, c, ldc, bias, acc, fz, next, ah);
    for (i = 0; i < DLK_SGEMM_MR; i++) {
        float *ci = c + i * ldc + 16;
        __m512 x = _mm512_maskz_loadu_ps(me, dots[i]);
        x = _mm512_add_ps(x, acc ? _mm512_maskz_loadu_ps(me, ci)
                                 : _mm512_set1_ps(bias != NULL ? bias[i] : 0.0f));
        if (fz != NULL)
            x = dlk_sgemm_fix(fz, x, i, 16, me);
        _mm512_mask_storeu_ps(ci, me, x);
    }
}

/* 8 rows x up to 48 columns of a product whose B is a plain matrix (ldb
 * apart), read in place: C = (acc ? C : bias) + A x B over all of k at once,
 * then fz. Rows past mr are computed from A's zero rows and never stored
 * (dlk_sgemm_small_task_f32 pads A). With prefetch, each of B's k rows is
 * asked for DLK_SGEMM_SMALL_PF columns ahead: k rows ldb apart are more
 * streams than the hardware prefetcher follows, and in a model B (the
 * previous layers' output) is often in L3, not L2 (SqueezeNet's 128 -> 16
 * on 55x55 with B evicted: 0.142 -> 0.097 ms; hot: no slower). */
#ifndef DLK_SGEMM_SMALL_PF
#define DLK_SGEMM_SMALL_PF 192           /* four blocks of 48 columns ahead */
#endif
#define DLK_SGEMM_SMALL_PF_HINT _MM_HINT_T1
#define DLK_SG_R8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define DLK_SG_D8(i) __m512 c##i##a, c##i##b, c##i##c;
#define DLK_SG_I8(i)                                                                              \
    if (acc && i < mr) {                                                                          \
        c##i##a = _mm512_maskz_loadu_ps(m0, c + i * ldc);                                         \
        c##i##b = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16);                                    \
        c##i##c = _mm512_maskz_loadu_ps(m2, c + i * ldc + 32);                                    \
    } else {                                                                                      \
        c##i##a = c##i##b = c##i##c = _mm512_set1_ps(bias != NULL && !acc && i < mr ? bias[i] : 0.0f); \
    }
#define DLK_SG_F8(i)                                                                              \
    {                                                                                             \
        const __m512 av = _mm512_set1_ps(a[i * lda + p]);                                         \
        c##i##a = _mm512_fmadd_ps(av, b0, c##i##a);                                               \
        c##i##b = _mm512_fmadd_ps(av, b1, c##i##b);                                               \
        c##i##c = _mm512_fmadd_ps(av, b2, c##i##c);                                               \
    }
#define DLK_SG_S8(i)                                                                              \
    if (i < mr) {                                                                                 \
        if (fz != NULL) {                                                                         \
            c##i##a = dlk_sgemm_fix(fz, c##i##a, i, 0, m0);                                       \
            c##i##b = dlk_sgemm_fix(fz, c##i##b, i, 16, m1);                                      \
            c##i##c = dlk_sgemm_fix(fz, c##i##c, i, 32, m2);                                      \
        }                                                                                         \
        _mm512_mask_storeu_ps(c + i * ldc, m0, c##i##a);                                          \
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c##i##b);                                     \
        _mm512_mask_storeu_ps(c + i * ldc + 32, m2, c##i##c);                                     \
    }
DLK_NOINLINE static void dlk_sgemm_micro8x48b_f32(int64_t k, const float *a, int64_t lda, int64_t mr, const float *b,
                                     int64_t ldb, int64_t nr, float *c, int64_t ldc, const float *bias, int acc,
                                     const dlk_sgemm_fuse *fz, int prefetch)
{
    const __mmask16 m0 = dlk_lanes16(0, nr), m1 = dlk_lanes16(16, nr), m2 = dlk_lanes16(32, nr);
    int64_t p;
    DLK_SG_R8(DLK_SG_D8)
    DLK_SG_R8(DLK_SG_I8)
    for (p = 0; p < k; p++) {
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
        const __m512 b2 = _mm512_maskz_loadu_ps(m2, b + 32);
        if (prefetch) {
            _mm_prefetch((const char *)(b + DLK_SGEMM_SMALL_PF), DLK_SGEMM_SMALL_PF_HINT);
            _mm_prefetch((const char *)(b + DLK_SGEMM_SMALL_PF + 16), DLK_SGEMM_SMALL_PF_HINT);
            _mm_prefetch((const char *)(b + DLK_SGEMM_SMALL_PF + 32), DLK_SGEMM_SMALL_PF_HINT);
        }
        b += ldb;
        DLK_SG_R8(DLK_SG_F8)
    }
    DLK_SG_R8(DLK_SG_S8)
}
#undef DLK_SG_R8
#undef DLK_SG_D8
#undef DLK_SG_I8
#undef DLK_SG_F8
#undef DLK_SG_S8

/* The last panel of a row holding at most 16 columns (196 = 6 x 32 + 4,
 * 784 = 24 x 32 + 16) needs only the first of the two vectors: half the
 * multiply-adds of the full kernel. */
#define DLK_SG_DECL16(i) __m512 c##i##a; const float *a##i = ar[i];
#define DLK_SG_INIT16(i)                                                        \
    c##i##a = acc && i < mr ? _mm512_maskz_loadu_ps(m0, c + i * ldc)            \
                            : _mm512_set1_ps(bias != NULL && !acc ? bias[i < mr ? i : 0] : 0.0f);
#define DLK_SG_FMA16(i) c##i##a = _mm512_fmadd_ps(_mm512_set1_ps(a##i[p]), b0, c##i##a);
#define DLK_SG_STORE16(i)                                                       \
    if (i < mr)                                                                 \
        _mm512_mask_storeu_ps(c + i * ldc, m0, fz != NULL ? dlk_sgemm_fix(fz, c##i##a, i, 0, m0) : c##i##a);
static void dlk_sgemm_micro12x16_f32(int64_t kc, const float *a, int64_t lda, int64_t mr, int64_t nr,
                                     const float *bp, float *c, int64_t ldc, const float *bias, int acc,
                                     const dlk_sgemm_fuse *fz)
{
    const float *ar[DLK_SGEMM_MR];
    const __mmask16 m0 = dlk_lanes16(0, nr);
    int64_t p;
    dlk_sgemm_rows(a, lda, mr, ar);
    {
        DLK_SG_ROWS(DLK_SG_DECL16)
        DLK_SG_ROWS(DLK_SG_INIT16)
        for (p = 0; p < kc; p++) {
            const __m512 b0 = _mm512_loadu_ps(bp);
            bp += 32;
            DLK_SG_ROWS(DLK_SG_FMA16)
        }
        DLK_SG_ROWS(DLK_SG_STORE16)
    }
}

/* The micro-kernel, with fz (NULL: none) applied before the store and the
 * next strip's rows of A (next: its first row at this k block; NULL: none)
 * prefetched. Only a whole strip is given a next one (a ragged strip is the
 * last), so only the whole-strip kernels prefetch. cols: a last panel's
 * columns past 16, from dlk_sgemm_edge_cols (read when 16 < nr <= 16 +
 * DLK_SGEMM_DOT_MAX; AVX-512 only). */
static void dlk_sgemm_micro_f32(int64_t kc, const float *a, int64_t lda, int64_t mr, int64_t nr,
                                const float *bp, float *c, int64_t ldc, const float *bias, int acc,
                                const dlk_sgemm_fuse *fz, const float *next, const dlk_sgemm_ahead *ah,
                                const float *cols)
{
    if (mr == DLK_SGEMM_MR && nr > 16 && nr <= 16 + DLK_SGEMM_DOT_MAX)
        dlk_sgemm_micro12e_f32(kc, a, lda, nr, bp, c, ldc, bias, acc, fz, next, ah, cols);
    else if (nr <= 16 && mr == DLK_SGEMM_MR)
        dlk_sgemm_micro12x16f_f32(kc, a, lda, nr, bp, c, ldc, bias, acc, fz, next, ah);
    else if (nr <= 16)
        dlk_sgemm_micro12x16_f32(kc, a, lda, mr, nr, bp, c, ldc, bias, acc, fz);
    else if (mr == DLK_SGEMM_MR)
        dlk_sgemm_micro12f_f32(kc, a, lda, nr, bp, c, ldc, bias, acc, fz, next, ah);
    else if (mr > 8)
        dlk_sgemm_micro12_f32(kc, a, lda, mr, nr, bp, c, ldc, bias, acc, fz);
    else if (mr > 4)
        dlk_sgemm_micro8_f32(kc, a, lda, mr, nr, bp, c, ldc, bias, acc, fz);
    else
        dlk_sgemm_micro4_f32(kc, a, lda, mr, nr, bp, c, ldc, bias, acc, fz);
}
#undef DLK_SG_KERNEL
#undef DLK_SG_PF_DECL
#undef DLK_SG_PF
#undef DLK_SG_ROWS4
#undef DLK_SG_ROWS8
#undef DLK_SG_ROWS
#undef DLK_SG_DECL
#undef DLK_SG_INIT
#undef DLK_SG_FMA
#undef DLK_SG_STORE
#undef DLK_SG_DECL16
#undef DLK_SG_INIT16
#undef DLK_SG_FMA16
#undef DLK_SG_STORE16

#elif defined(__AVX2__) && defined(__FMA__)
#define DLK_SG_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define DLK_SG_DECL(i) __m256 c##i##a, c##i##b; const float *a##i = ar[i];
#define DLK_SG_INIT(i)                                                          \
    if (acc) {                                                                  \
        c##i##a = _mm256_loadu_ps(t + i * ldt);                                 \
        c##i##b = _mm256_loadu_ps(t + i * ldt + 8);                             \
    } else {                                                                    \
        c##i##a = c##i##b = _mm256_set1_ps(bias != NULL ? bias[i < mr ? i : 0] : 0.0f); \
    }
#define DLK_SG_FMA(i)                                                           \
    {                                                                           \
        const __m256 av = _mm256_broadcast_ss(a##i + p);                        \
        c##i##a = _mm256_fmadd_ps(av, b0, c##i##a);                             \
        c##i##b = _mm256_fmadd_ps(av, b1, c##i##b);                             \
    }
#define DLK_SG_STORE(i)                                                         \
    {                                                                           \
        _mm256_storeu_ps(t + i * ldt, c##i##a);                                 \
        _mm256_storeu_ps(t + i * ldt + 8, c##i##b);                             \
    }

/* c[0..mr)[0..nr) (ldc) = (acc ? c : bias[i] or 0) + a[0..mr)[0..kc) x bp;
 * fz is never set here (DLK_SGEMM_FUSES 0: the caller runs the epilogue). */
static void dlk_sgemm_micro_f32(int64_t kc, const float *a, int64_t lda, int64_t mr, int64_t nr,
                                const float *bp, float *c, int64_t ldc, const float *bias, int acc,
                                const dlk_sgemm_fuse *fz, const float *next, const dlk_sgemm_ahead *ah,
                                const float *cols)
{
    const float *ar[DLK_SGEMM_MR];
    float tile[DLK_SGEMM_MR * DLK_SGEMM_NR], *t = c;
    int64_t p, i, j, ldt = ldc;
    (void)fz;
    (void)next;
    (void)cols;
    (void)ah;
    if (nr < DLK_SGEMM_NR || mr < DLK_SGEMM_MR) {
        /* A ragged edge runs through a full tile, so no load or store leaves c. */
        t = tile;
        ldt = DLK_SGEMM_NR;
        if (acc)
            for (i = 0; i < DLK_SGEMM_MR; i++)
                for (j = 0; j < DLK_SGEMM_NR; j++)
                    tile[i * DLK_SGEMM_NR + j] = i < mr && j < nr ? c[i * ldc + j] : 0.0f;
    }
    dlk_sgemm_rows(a, lda, mr, ar);
    {
        DLK_SG_ROWS(DLK_SG_DECL)
        DLK_SG_ROWS(DLK_SG_INIT)
        for (p = 0; p < kc; p++) {
            const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
            bp += 16;
            DLK_SG_ROWS(DLK_SG_FMA)
        }
        DLK_SG_ROWS(DLK_SG_STORE)
    }
    if (t == tile)
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++)
                c[i * ldc + j] = tile[i * DLK_SGEMM_NR + j];
}
#undef DLK_SG_ROWS
#undef DLK_SG_DECL
#undef DLK_SG_INIT
#undef DLK_SG_FMA
#undef DLK_SG_STORE

#else
/* c[0..mr)[0..nr) (ldc) = (acc ? c : bias[i] or 0) + a[0..mr)[0..kc) x bp.
 * The accumulators are a fixed MR x NR array and the inner loop runs over
 * exactly NR columns, which gcc -O2 keeps in vector registers. fz is never
 * set here (DLK_SGEMM_FUSES 0: the caller runs the epilogue). */
static void dlk_sgemm_micro_f32(int64_t kc, const float *a, int64_t lda, int64_t mr, int64_t nr,
                                const float *bp, float *c, int64_t ldc, const float *bias, int acc,
                                const dlk_sgemm_fuse *fz, const float *next, const dlk_sgemm_ahead *ah,
                                const float *cols)
{
    const float *ar[DLK_SGEMM_MR];
    float t[DLK_SGEMM_MR][DLK_SGEMM_NR];
    int64_t p, i, j;
    (void)fz;
    (void)next;
    (void)cols;
    (void)ah;
    dlk_sgemm_rows(a, lda, mr, ar);
    for (i = 0; i < DLK_SGEMM_MR; i++) {
        const float init = bias != NULL && !acc ? bias[i < mr ? i : 0] : 0.0f;
        for (j = 0; j < DLK_SGEMM_NR; j++)
            t[i][j] = init;
    }
    if (acc)
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++)
                t[i][j] = c[i * ldc + j];
    /* Four steps of p per pass over t: gcc -O2 keeps t in memory, so each
     * load and store of it serves four multiply-adds (light ResNet-50 at
     * cc -O2: 595 -> 371 ms). */
    for (p = 0; p + 4 <= kc; p += 4) {
        const float *restrict b = bp + p * DLK_SGEMM_NR;
        for (i = 0; i < DLK_SGEMM_MR; i++) {
            const float a0 = ar[i][p], a1 = ar[i][p + 1], a2 = ar[i][p + 2], a3 = ar[i][p + 3];
            for (j = 0; j < DLK_SGEMM_NR; j++)
                t[i][j] += a0 * b[j] + a1 * b[j + DLK_SGEMM_NR] + a2 * b[j + 2 * DLK_SGEMM_NR] +
                           a3 * b[j + 3 * DLK_SGEMM_NR];
        }
    }
    for (; p < kc; p++) {
        const float *restrict b = bp + p * DLK_SGEMM_NR;
        for (i = 0; i < DLK_SGEMM_MR; i++) {
            const float av = ar[i][p];
            for (j = 0; j < DLK_SGEMM_NR; j++)
                t[i][j] += av * b[j];
        }
    }
    for (i = 0; i < mr; i++)
        for (j = 0; j < nr; j++)
            c[i * ldc + j] = t[i][j];
}
#endif
#if !defined(__AVX512F__)
#define DLK_SGEMM_FUSES 0
#endif
/*@end*/

/*@ dlk_sgemm_f32 : dlk_sgemm_kernel dlk_lanes16 dlk_parallel dlk_epilogue_f32 */
/* Writes rows k0..k0+kc, columns j0..j0+nc of B into bp as panels of NR
 * columns (panel q at bp + q*kc*NR, row p at + p*NR); columns from nc up
 * to the next multiple of NR are zero. */
typedef void (*dlk_sgemm_pack_fn)(const void *ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                                  float *bp);

/* One product: C = (acc ? C : bias per row, or 0) + A x B, then the
 * epilogue ep (NULL: none) with residual r (ldr; NULL: none) on every
 * finished tile. bias is ignored when acc. */
typedef struct dlk_sgemm_args {
    int64_t m, n, k;
    const float *a;
    int64_t lda;
    dlk_sgemm_pack_fn pack;
    const void *pack_ctx;
    const float *bias;
    int acc;
    float *c;
    int64_t ldc;
    const dlk_epilogue *ep;
    const float *r;
    int64_t ldr;
    /* B as a plain matrix, element (p, j) at b[p*ldb + j], when it is one (a
     * pointwise conv's input): NULL, or products of at most DLK_SGEMM_SMALL_M
     * rows read it in place instead of packing it (AVX-512 builds), and
     * larger ones prefetch its next block and pack it in their first strip
     * (dlk_sgemm_block_f32). */
    const float *b;
    int64_t ldb;
    /* NULL, or B's row p scaled by b_scale[p] (a pointwise conv's per-channel
     * scale prologue, which b does not include): the in-place kernel folds
     * it into its copy of A. */
    const float *b_scale;
    /* 1: packing B is a plain copy or a scaled one (a pointwise conv), cheap
     * enough that two threads may each pack all of it (see dlk_sgemm_f32) */
    int cheap_pack;
    int64_t row_blocks, col_blocks, mc, nc;   /* the work split, set by dlk_sgemm_f32: row blocks of
                                               * mc rows, column parts, blocks of <= nc columns */
} dlk_sgemm_args;

/* Rows [i0, i1) x columns [j0, j0 + nc) of C, nc x (K block) <= KC x NC. */
/* Where g's epilogue runs: nowhere (none), in the micro-kernels' stores
 * (Relu / Clip / none with the residual, when they take it: *fz set, its r
 * per tile), or dlk_epilogue_f32 over each finished row. */
#define DLK_SGEMM_EP_NONE 0
#define DLK_SGEMM_EP_FUSED 1
#define DLK_SGEMM_EP_ROWS 2
static int dlk_sgemm_fuse_init(const dlk_sgemm_args *g, dlk_sgemm_fuse *fz)
{
    if (g->ep == NULL || (g->ep->act == DLK_ACT_NONE && g->r == NULL))
        return DLK_SGEMM_EP_NONE;
    if (!DLK_SGEMM_FUSES ||
        (g->ep->act != DLK_ACT_NONE && g->ep->act != DLK_ACT_RELU && g->ep->act != DLK_ACT_CLIP))
        return DLK_SGEMM_EP_ROWS;
    fz->r = NULL;
    fz->res_after = g->ep->residual == DLK_RES_AFTER_ACT;
    fz->relu = g->ep->act == DLK_ACT_RELU;
    fz->clip = g->ep->act == DLK_ACT_CLIP;
    fz->lo = g->ep->alpha;
    fz->hi = g->ep->beta;
    fz->ldr = g->ldr;
    return DLK_SGEMM_EP_FUSED;
}

DLK_NOINLINE static void dlk_sgemm_block_f32(const dlk_sgemm_args *g, int64_t i0, int64_t i1, int64_t j0, int64_t nc,
                                int64_t jnext)
{
    float bp[DLK_SGEMM_KC * DLK_SGEMM_NC];
#if defined(__AVX512F__)
    float cols[DLK_SGEMM_DOT_MAX * DLK_SGEMM_KC];   /* the last panel's columns past 16 */
    const int64_t q_last = (nc - 1) / DLK_SGEMM_NR, nr_last = nc - q_last * DLK_SGEMM_NR;
    const int64_t full_panels = q_last + (nr_last == DLK_SGEMM_NR);
    /* B a plain matrix and a whole first strip: that strip packs the block
     * as it reads it (dlk_sgemm_micro12b_f32), the ragged last panel apart */
    const int inplace = g->b != NULL && g->b_scale == NULL && i1 - i0 >= DLK_SGEMM_MR;
#else
    float *cols = NULL;
#endif
    int64_t nk = (g->k + DLK_SGEMM_KC - 1) / DLK_SGEMM_KC, step, k0 = 0, i, q, t;
    dlk_sgemm_fuse fz;
    const int where = dlk_sgemm_fuse_init(g, &fz);
    const int fused = where == DLK_SGEMM_EP_FUSED, ep = where == DLK_SGEMM_EP_ROWS;
    if (nk < 1)
        nk = 1;
    step = (g->k + nk - 1) / nk;     /* even K blocks: 576 runs as 3 x 192, not 256 + 256 + 64 */
    do {
        const int64_t kc = g->k - k0 < step ? g->k - k0 : step;
        const int last = k0 + kc >= g->k, acc = g->acc || k0 > 0;
        /* With B a plain matrix, the strips after the first ask for the next
         * block of B (the next K block, else the first of the next columns,
         * jnext) while they run, so that block is in L2 when its first strip
         * reads it in place (or the pack does): each strip a share of its
         * rows. Without, the first strip (or the pack) waited on B from L3,
         * 14-20 % of a pointwise conv on 56x56 or 28x28. */
        const int64_t k0n = last ? 0 : k0 + kc, jn = last ? jnext : j0;
        const int64_t kn = g->k - k0n < step ? g->k - k0n : step;
        const int64_t full = (i1 - i0) / DLK_SGEMM_MR;
        const int64_t ahead_rows = g->b != NULL && jn >= 0 && full > 1 ? (kn + full - 2) / (full - 1) : 0;
        dlk_sgemm_ahead ah;
#if defined(__AVX512F__)
        if (!inplace)
            g->pack(g->pack_ctx, k0, kc, j0, nc, bp);
        else if (nr_last < DLK_SGEMM_NR)   /* the ragged last panel is packed first */
            g->pack(g->pack_ctx, k0, kc, j0 + q_last * DLK_SGEMM_NR, nr_last, bp + q_last * kc * DLK_SGEMM_NR);
        if (nr_last > 16 && nr_last <= 16 + DLK_SGEMM_DOT_MAX)
            dlk_sgemm_edge_cols(kc, nr_last, bp + q_last * kc * DLK_SGEMM_NR, cols);
#else
        g->pack(g->pack_ctx, k0, kc, j0, nc, bp);
#endif
        for (i = i0; i < i1; i += DLK_SGEMM_MR) {
            const int64_t mr = i1 - i < DLK_SGEMM_MR ? i1 - i : DLK_SGEMM_MR;
            for (q = 0; q * DLK_SGEMM_NR < nc; q++) {
                const int64_t j = j0 + q * DLK_SGEMM_NR;
                const int64_t nr = nc - q * DLK_SGEMM_NR < DLK_SGEMM_NR ? nc - q * DLK_SGEMM_NR : DLK_SGEMM_NR;
                const float *a = g->a + i * g->lda + k0, *bias = g->bias != NULL ? g->bias + i : NULL;
                const float *next = q == 0 && i + 2 * DLK_SGEMM_MR <= i1 ? a + DLK_SGEMM_MR * g->lda : NULL;
                const dlk_sgemm_ahead *ahp = NULL;
                fz.r = g->r != NULL ? g->r + i * g->ldr + j : NULL;
#if defined(__AVX512F__)
                if (inplace && i == i0 && q < full_panels) {
                    const float *b = g->b + k0 * g->ldb + j;
                    dlk_sgemm_micro12b_f32(kc, a, g->lda, b, g->ldb, bp + q * kc * DLK_SGEMM_NR,
                                           full == 1 && q + 1 < full_panels ? b + DLK_SGEMM_NR : NULL,
                                           g->c + i * g->ldc + j, g->ldc, bias, acc, fused && last ? &fz : NULL, next);
                    continue;
                }
#endif
#if defined(__AVX512F__)
                if (last && kc <= DLK_SGEMM_CPF_K) {
                    /* short k: the C lines of the tile two panels on (the next
                     * strip's, past the block's columns), asked for now (see
                     * DLK_SGEMM_CPF_K) */
                    const int64_t on = j + 2 * DLK_SGEMM_NR - j0;
                    const int64_t ii = on < nc ? i : i + DLK_SGEMM_MR, jj = j0 + (on < nc ? on : on - nc);
                    if (ii < i1 && jj < j0 + nc)
                        for (t = ii; t < ii + DLK_SGEMM_MR && t < i1; t++) {
                            _mm_prefetch((const char *)(g->c + t * g->ldc + jj), _MM_HINT_ET0);
                            _mm_prefetch((const char *)(g->c + t * g->ldc + jj + 16), _MM_HINT_ET0);
                        }
                }
#endif
                if (ahead_rows > 0 && i > i0 && mr == DLK_SGEMM_MR) {
                    /* strip s > 0 asks for its share of the next block's rows of this panel */
                    const int64_t lo = ((i - i0) / DLK_SGEMM_MR - 1) * ahead_rows;
                    const int64_t hi = lo + ahead_rows < kn ? lo + ahead_rows : kn;
                    ah.rows = hi > lo && jn + q * DLK_SGEMM_NR < g->n ? hi - lo : 0;
                    ah.b = ah.rows > 0 ? g->b + (k0n + lo) * g->ldb + jn + q * DLK_SGEMM_NR : NULL;
                    ah.ldb = g->ldb;
                    ahp = &ah;
                }
                dlk_sgemm_micro_f32(kc, a, g->lda, mr, nr, bp + q * kc * DLK_SGEMM_NR, g->c + i * g->ldc + j, g->ldc,
                                    bias, acc, fused && last ? &fz : NULL, next, ahp, cols);
            }
            /* The strip's rows are final: their epilogue runs while they are in L1. */
            if (last && ep)
                for (t = i; t < i + mr; t++)
                    dlk_epilogue_f32(g->ep, g->c + t * g->ldc + j0,
                                     g->r != NULL ? g->r + t * g->ldr + j0 : NULL, nc);
        }
        k0 += kc;
    } while (k0 < g->k);
}

/* Tasks are (row block, column part) pairs, row-major. A column part is a
 * run of whole panels, walked in blocks of at most NC columns (evenly sized). */
static void dlk_sgemm_task_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_sgemm_args *g = (const dlk_sgemm_args *)arg;
    const int64_t panels = (g->n + DLK_SGEMM_NR - 1) / DLK_SGEMM_NR;
    int64_t t;
    for (t = begin; t < end; t++) {
        const int64_t ib = t / g->col_blocks, jb = t % g->col_blocks;
        const int64_t i0 = ib * g->mc, i1 = i0 + g->mc < g->m ? i0 + g->mc : g->m;
        const int64_t q0 = jb * panels / g->col_blocks, q1 = (jb + 1) * panels / g->col_blocks;
        const int64_t blocks = (q1 - q0 + g->nc / DLK_SGEMM_NR - 1) / (g->nc / DLK_SGEMM_NR);
        int64_t b;
        for (b = 0; b < blocks; b++) {
            const int64_t j0 = (q0 + b * (q1 - q0) / blocks) * DLK_SGEMM_NR;
            int64_t j1 = (q0 + (b + 1) * (q1 - q0) / blocks) * DLK_SGEMM_NR;
            if (j1 > g->n)
                j1 = g->n;
            dlk_sgemm_block_f32(g, i0, i1, j0, j1 - j0, b + 1 < blocks ? j1 : -1);
        }
    }
}

/* The longest column of B a matrix-vector product keeps whole (64 KB). */
#ifndef DLK_SGEMM_GEMV_K
#define DLK_SGEMM_GEMV_K 16384
#endif

/* n == 1, a matrix-vector product (squeeze-excitation's 1x1 convs of a 1x1
 * image, classifier layers): one 32-wide panel per product would waste 31
 * of its columns. Rows [begin, end) as dot products with sixteen (AVX-512:
 * vectors, four rows at a time) or eight partial sums, in an order fixed
 * per row whatever the thread count, over B's column packed whole (up to
 * DLK_SGEMM_GEMV_K values; longer ones a KC block at a time). */
DLK_NOINLINE static void dlk_sgemm_gemv_task_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_sgemm_args *g = (const dlk_sgemm_args *)arg;
    const int ep = g->ep != NULL && (g->ep->act != DLK_ACT_NONE || g->r != NULL);
    float bp[DLK_SGEMM_KC * DLK_SGEMM_NR], v[DLK_SGEMM_GEMV_K];
    /* The whole column at once when it fits, so each row of A is read
     * straight through (blocks of KC sent the reads back across all of A
     * once per block: ResNet-50's 8 MB classifier 0.56 -> 0.79 ms) */
    const int64_t block = g->k <= DLK_SGEMM_GEMV_K ? g->k : DLK_SGEMM_KC;
    int64_t k0 = 0, kc, i, p, q;
#if defined(__AVX512F__)
    int64_t kc16;
#endif
    int t;
    for (i = begin; i < end; i++)
        g->c[i * g->ldc] = g->acc ? g->c[i * g->ldc] : g->bias != NULL ? g->bias[i] : 0.0f;
    for (k0 = 0; k0 < g->k; k0 += kc) {
        kc = g->k - k0 < block ? g->k - k0 : block;
        if (g->b != NULL)   /* B a plain matrix: its column read in place (the pack writes 31 zero columns a row) */
            for (p = 0; p < kc; p++)
                v[p] = g->b[(k0 + p) * g->ldb] * (g->b_scale != NULL ? g->b_scale[k0 + p] : 1.0f);
        else
            for (q = 0; q < kc; q += DLK_SGEMM_KC) {
                const int64_t qc = kc - q < DLK_SGEMM_KC ? kc - q : DLK_SGEMM_KC;
                g->pack(g->pack_ctx, k0 + q, qc, 0, 1, bp);
                for (p = 0; p < qc; p++)
                    v[q + p] = bp[p * DLK_SGEMM_NR];
            }
        i = begin;
#if defined(__AVX512F__)
        kc16 = kc - kc % 16;   /* whole vectors; the rest one masked step */
        /* Eight rows at a time, 16 products per row per step in a vector
         * each, unmasked but for the last step: the weights stream from
         * memory once, and eight streams keep enough reads in flight (four
         * masked ones read MobileNetV2's 5 MB classifier from DRAM at 33
         * GB/s, these at 76). */
        for (; i + 8 <= end; i += 8) {
            const float *a0 = g->a + i * g->lda + k0;
            __m512 s[8];
            for (t = 0; t < 8; t++)
                s[t] = _mm512_setzero_ps();
            for (p = 0; p < kc16; p += 16) {
                const __m512 x = _mm512_loadu_ps(v + p);
                for (t = 0; t < 8; t++)
                    s[t] = _mm512_fmadd_ps(_mm512_loadu_ps(a0 + t * g->lda + p), x, s[t]);
            }
            if (p < kc) {
                const __mmask16 m = dlk_lanes16(p, kc);
                const __m512 x = _mm512_maskz_loadu_ps(m, v + p);
                for (t = 0; t < 8; t++)
                    s[t] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a0 + t * g->lda + p), x, s[t]);
            }
            for (t = 0; t < 8; t++)
                g->c[(i + t) * g->ldc] += _mm512_reduce_add_ps(s[t]);
        }
        for (; i < end; i++) {   /* the same sums one row at a time */
            const float *a0 = g->a + i * g->lda + k0;
            __m512 s0 = _mm512_setzero_ps();
            for (p = 0; p < kc16; p += 16)
                s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a0 + p), _mm512_loadu_ps(v + p), s0);
            if (p < kc) {
                const __mmask16 m = dlk_lanes16(p, kc);
                s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a0 + p), _mm512_maskz_loadu_ps(m, v + p), s0);
            }
            g->c[i * g->ldc] += _mm512_reduce_add_ps(s0);
        }
#endif
        for (; i < end; i++) {
            const float *restrict a = g->a + i * g->lda + k0;
            float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            const int64_t kc8 = kc - kc % 8;
            for (p = 0; p < kc8; p += 8)
                for (t = 0; t < 8; t++)
                    acc[t] += a[p + t] * v[p + t];
            for (p = kc8; p < kc; p++)
                acc[0] += a[p] * v[p];
            g->c[i * g->ldc] += ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        }
    }
    if (ep && g->ldc == 1 && (g->r == NULL || g->ldr == 1))   /* a column of C in one piece: one vector pass */
        dlk_epilogue_f32(g->ep, g->c + begin, g->r != NULL ? g->r + begin : NULL, end - begin);
    else if (ep)   /* (one call a value ran squeeze-excitation's Sigmoid scalar: 48 -> 1152 0.024 -> 0.0029 ms) */
        for (i = begin; i < end; i++)
            dlk_epilogue_f32(g->ep, g->c + i * g->ldc, g->r != NULL ? g->r + i * g->ldr : NULL, 1);
}

#if defined(__AVX512F__)
/* Products of at most DLK_SGEMM_SMALL_M rows (MobileNetV2's and
 * EfficientNet's projections to 16-40 channels, SqueezeNet's squeeze convs,
 * Inception's 1x1 reductions) with B a plain matrix and k up to
 * DLK_SGEMM_SMALL_K: for so few rows the packed product spends about as
 * long packing B as multiplying it (57 % of the time at m = 16), so B is
 * read in place by an 8 x 48 kernel, all of k at once, its rows prefetched
 * ahead; A is copied into a block of whole 8-row strips first (zero rows
 * past m). One thread, hot: 16 x 32 x 12544 0.147 -> 0.105 ms,
 * 16 x 64 x 3025 0.060 -> 0.040. With the prefetch it pays up to 48 rows
 * (B evicted, 1 / 2 threads: 24 x 96 x 3136 0.145 / 0.081 -> 0.112 /
 * 0.061 ms, 32 x 192 x 784 0.091 / 0.051 -> 0.077 / 0.046, 48 x 64 x 3136
 * 0.148 / 0.080 -> 0.129 / 0.072); at 64 rows it ranged from 0.89x to
 * 1.12x the packed product's time, past k = 512 up to 1.4x. Items: blocks
 * of 48 columns. */
DLK_NOINLINE static void dlk_sgemm_small_task_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_sgemm_args *g = (const dlk_sgemm_args *)arg;
    const int64_t strips = (g->m + 7) / 8;
    float a[DLK_SGEMM_SMALL_M * DLK_SGEMM_SMALL_K];
    dlk_sgemm_fuse fz;
    const int where = dlk_sgemm_fuse_init(g, &fz);
    const int fused = where == DLK_SGEMM_EP_FUSED, ep = where == DLK_SGEMM_EP_ROWS;
    int64_t i, p, item;
    for (i = 0; i < strips * 8; i++)
        if (i >= g->m)
            memset(a + i * g->k, 0, sizeof(float) * (size_t)g->k);
        else if (g->b_scale == NULL)
            memcpy(a + i * g->k, g->a + i * g->lda, sizeof(float) * (size_t)g->k);
        else   /* B's row p scaled: A's column p instead */
            for (p = 0; p < g->k; p++)
                a[i * g->k + p] = g->a[i * g->lda + p] * g->b_scale[p];
    for (item = begin; item < end; item++) {
        const int64_t j = item * 48, nr = g->n - j < 48 ? g->n - j : 48;
        for (i = 0; i < g->m; i += 8) {
            const int64_t mr = g->m - i < 8 ? g->m - i : 8;
            fz.r = g->r != NULL ? g->r + i * g->ldr + j : NULL;
            dlk_sgemm_micro8x48b_f32(g->k, a + i * g->k, g->k, mr, g->b + j, g->ldb, nr, g->c + i * g->ldc + j, g->ldc,
                                     g->bias != NULL ? g->bias + i : NULL, g->acc, fused ? &fz : NULL, i == 0);
            if (ep) {
                int64_t t;
                for (t = i; t < i + mr; t++)
                    dlk_epilogue_f32(g->ep, g->c + t * g->ldc + j, g->r != NULL ? g->r + t * g->ldr + j : NULL, nr);
            }
        }
    }
}
#endif

/* Products of few columns (14x14 images: 196 = 6 x 32 + 4) split their
 * columns 3 + 4 panels over 2 threads and ran 1.0-1.3x as fast as on one;
 * when packing B is cheap, splitting the rows instead (each thread packs all
 * of B) ran EfficientNet-B0's 1x1 convs on 14x14 at 2 threads 1.3-1.45x. A
 * BN -> Relu prologue or an im2col makes the doubled packing cost more
 * (DenseNet-121 lost 5 % when every product did it). */
#ifndef DLK_SGEMM_ROWS_SPLIT
#define DLK_SGEMM_ROWS_SPLIT 5
#endif
/* Splits C's columns into one part per thread, whole NR-column panels
 * each, as even in panels as they can be (the last part holds the ragged
 * panel; 25 panels run as 12 + 13, where blocks of 8 dealt out whole ran as
 * 14 + 11); each part packs its own B. Only when there are fewer panels
 * than threads are rows split too (every row block packs its columns
 * again, which costs as much as the product itself when K is large and M
 * small). The rows are split instead when there is more of A than of B, or
 * few columns for the rows and a cheap pack (DLK_SGEMM_ROWS_SPLIT). Fields
 * of g past cheap_pack (the work split) are set here. */
static void dlk_sgemm_f32(const dlk_par *par, dlk_sgemm_args *g)
{
    const int threads = par != NULL && par->threads > 1 ? par->threads : 1;
    const int64_t panels = (g->n + DLK_SGEMM_NR - 1) / DLK_SGEMM_NR;
    const int64_t strips = (g->m + DLK_SGEMM_MR - 1) / DLK_SGEMM_MR;
    int64_t rb = 1;
    if (g->m <= 0 || g->n <= 0)
        return;
    if (g->n == 1) {
        dlk_parallel_for(par, dlk_sgemm_gemv_task_f32, g, g->m);
        return;
    }
#if defined(__AVX512F__)
    if (g->b != NULL && g->m <= DLK_SGEMM_SMALL_M && g->k >= 1 && g->k <= DLK_SGEMM_SMALL_K) {
        dlk_parallel_for(par, dlk_sgemm_small_task_f32, g, (g->n + 47) / 48);
        return;
    }
#endif
    {
        /* Blocks of B hold KC x NC values whatever k is: a short k (a stem's
         * 3 x 7 x 7, MobileNet's 16 channels) takes wider blocks, so the
         * packing and the strip loop start fewer times. */
        const int64_t nk = g->k > DLK_SGEMM_KC ? (g->k + DLK_SGEMM_KC - 1) / DLK_SGEMM_KC : 1;
        const int64_t step = g->k > 0 ? (g->k + nk - 1) / nk : 1;
        g->nc = (DLK_SGEMM_KC * DLK_SGEMM_NC / step) / DLK_SGEMM_NR * DLK_SGEMM_NR;
        if (g->nc > DLK_SGEMM_NC_MAX)
            g->nc = DLK_SGEMM_NC_MAX;
    }
    g->col_blocks = threads < panels ? threads : panels;
    /* More of A than of B (7x7 and 14x14 layers: m x k weights, k x n
     * pixels): split the rows instead, so each thread reads half of A and
     * packs all of the smaller B. */
    if (threads > 1 && strips >= threads &&
        (g->m > g->n || (g->cheap_pack && g->m >= 48 && g->m * DLK_SGEMM_ROWS_SPLIT > g->n)))
        g->col_blocks = 1;
    if (threads > 1 && g->col_blocks < threads) {
        rb = (threads + g->col_blocks - 1) / g->col_blocks;
        if (rb > strips)
            rb = strips;
    }
    g->mc = ((strips + rb - 1) / rb) * DLK_SGEMM_MR;
    g->row_blocks = (g->m + g->mc - 1) / g->mc;
    dlk_parallel_for(par, dlk_sgemm_task_f32, g, g->row_blocks * g->col_blocks);
}
/*@end*/

/*@ dlk_sgemm_put_f32 : dlk_sgemm_kernel */
/* Writes len values of one row of B, starting at column t of the block,
 * into the panels of bp: src[i*s] (src NULL: zeros). row: bp + p*NR for
 * row p; pstride: kc*NR, the distance between panels. */
static void dlk_sgemm_put_f32(float *row, int64_t pstride, int64_t t, const float *src, int64_t s,
                              int64_t len)
{
    while (len > 0) {
        const int64_t o = t % DLK_SGEMM_NR;
        const int64_t n = DLK_SGEMM_NR - o < len ? DLK_SGEMM_NR - o : len;
        float *restrict d = row + (t / DLK_SGEMM_NR) * pstride + o;
        int64_t i;
        if (src == NULL) {
            for (i = 0; i < n; i++)
                d[i] = 0.0f;
        } else if (s == 1) {
            if (n == DLK_SGEMM_NR)
                for (i = 0; i < DLK_SGEMM_NR; i++)
                    d[i] = src[i];
            else
                for (i = 0; i < n; i++)
                    d[i] = src[i];
            src += n;
        } else {
            for (i = 0; i < n; i++)
                d[i] = src[i * s];
            src += n * s;
        }
        t += n;
        len -= n;
    }
}

/* Zero columns nc .. the next multiple of NR of all kc rows. */
static void dlk_sgemm_pad_f32(float *bp, int64_t kc, int64_t nc)
{
    const int64_t q = nc / DLK_SGEMM_NR, o = nc % DLK_SGEMM_NR;
    int64_t p;
    if (o == 0)
        return;
    for (p = 0; p < kc; p++)
        dlk_sgemm_put_f32(bp + q * kc * DLK_SGEMM_NR + p * DLK_SGEMM_NR, 0, o, NULL, 0,
                          DLK_SGEMM_NR - o);
}
/*@end*/

/*@ dlk_sgemm_pack_rows_f32 : dlk_sgemm_put_f32 */
/* B given row-major: element (p, j) at b[p*ldb + j]. */
typedef struct dlk_sgemm_rows_b {
    const float *b;
    int64_t ldb;
} dlk_sgemm_rows_b;

static void dlk_sgemm_pack_rows_f32(const void *ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                                    float *bp)
{
    const dlk_sgemm_rows_b *b = (const dlk_sgemm_rows_b *)ctx;
    int64_t p;
    for (p = 0; p < kc; p++)
        dlk_sgemm_put_f32(bp + p * DLK_SGEMM_NR, kc * DLK_SGEMM_NR, 0, b->b + (k0 + p) * b->ldb + j0, 1,
                          nc);
    dlk_sgemm_pad_f32(bp, kc, nc);
}
/*@end*/

/*@ dlk_sgemm_pack_cols_f32 : dlk_sgemm_put_f32 */
/* B given transposed: element (p, j) at bt[j*ldbt + p] (Gemm transB). Each
 * panel is filled a column at a time, reading bt's rows contiguously. */
typedef struct dlk_sgemm_cols_b {
    const float *bt;
    int64_t ldbt;
} dlk_sgemm_cols_b;

static void dlk_sgemm_pack_cols_f32(const void *ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                                    float *bp)
{
    const dlk_sgemm_cols_b *b = (const dlk_sgemm_cols_b *)ctx;
    int64_t j, p;
    for (j = 0; j < nc; j++) {
        const float *src = b->bt + (j0 + j) * b->ldbt + k0;
        float *d = bp + (j / DLK_SGEMM_NR) * kc * DLK_SGEMM_NR + j % DLK_SGEMM_NR;
        for (p = 0; p < kc; p++)
            d[p * DLK_SGEMM_NR] = src[p];
    }
    dlk_sgemm_pad_f32(bp, kc, nc);
}
/*@end*/

#endif
