/* Winograd F(4x4, 3x3) and F(2x2, 3x3) convolution, NCHW float32: 2-D,
 * kernel 3x3, stride 1, dilation 1, group 1, any pads (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016).
 *
 * The output is cut into 4x4 tiles (T per image, ragged edge tiles are
 * cropped), each read from a 6x6 input tile (stride 4, zeros in the
 * padding). With d a 6x6 input tile and g a 3x3 filter,
 *     Y = A^T [ (G g G^T) . (B^T d B) ] A        (. : element-wise)
 * so the convolution becomes 36 independent matrix products, one per
 * element xi of the 6x6 transformed tile:
 *     M[xi] (c_out x T) = U[xi] (c_out x c_in) x V[xi] (c_in x T)
 * with U = G g G^T (the weights, transformed once at compile time by
 * dlk_winograd_weights_f32) and V = B^T d B (the input, per run). 36
 * products of c_in multiply-adds per 16 outputs are 2.25 per output and
 * input channel instead of 9: 4x fewer multiplies. The transforms cost
 * O(c_in + c_out) per tile; the rounding error grows to about 1e-5..1e-4
 * of the output's magnitude (the transforms hold factors up to 8 and 1/24).
 *
 * F(2x2, 3x3) (params m = 2) is the same with 2x2 output tiles read from
 * 4x4 input tiles (stride 2): 16 products, 4 multiplies per output and
 * input channel, U only 16/9 of W's bytes (F(4x4): 4x) and transforms with
 * no factors but 1/2 and +-1 (error like a direct conv). It wins where the
 * 4x4 tiles are few and the weights many (ResNet-50's 14x14 planes with 256
 * channels: F(4x4)'s 36 products of 16 columns read 4x W cold); see
 * passes/winograd.c for where each variant is chosen.
 *
 * The products run on the packed SGEMM (sgemm.h); threads split the input
 * transform over input channels, the (m+2)^2 products between them (each
 * runs on one thread) and the output transform over output channels. The
 * output transform adds the bias and applies the fused epilogue
 * (epilogue.h) one finished output row at a time. With AVX-512 the
 * transforms run 16 tiles per __m512 and the input rows are split into
 * column phases (and the output rows merged back) by permutes: the input
 * transform twice as fast as the portable loops (blocks of 8 with a fixed
 * trip count, which gcc vectorises at -O2; what AVX2 and other builds run),
 * 56x56x64 0.37 -> 0.19 ms; the output transform keeps a tile row's 16
 * tiles in registers from M to the output rows (dlk_winograd_output_regs). */
#ifndef DLK_WINOGRAD_H
#define DLK_WINOGRAD_H

#include "common.h"
#include "conv.h"
#include "conv_tiles.h"
#include "epilogue.h"
#include "parallel.h"
#include "sgemm.h"

/*@ dlk_winograd_params : dlk_common dlk_epilogue_params */
/* in/out: spatial dims (H, W) of x and y; out = in + pad begin + pad end - 2.
 * pads: ONNX order (top, left, bottom, right). m: the output tile, 2 for
 * F(2x2, 3x3), 4 (or 0) for F(4x4, 3x3). ep: the fused epilogue. u16: U's
 * matrices in blocks of 16 output channels (dlk_winograd_weights16_f32;
 * C_out a multiple of 32), for the channel-tile products; 0: row-major,
 * for the packed product. */
typedef struct dlk_winograd_params {
    int64_t n, c_in, c_out;
    int64_t in[2], out[2];
    int64_t pads[4];
    int64_t m;
    dlk_epilogue ep;
    int64_t u16;
} dlk_winograd_params;

/* Columns of the transform buffers (one row of tiles must fit with its
 * spare column) and their stride (room for two more values). */
#define DLK_WG_LEN 256
#define DLK_WG_PAD (DLK_WG_LEN + 8)

/* The output tile size: 2 or 4 (the transformed tile is m + 2 square). */
static int64_t dlk_winograd_m(const dlk_winograd_params *p)
{
    return p->m == 2 ? 2 : 4;
}

/* Whether the kernel takes the shape: a row of tiles fits its buffers
 * (output width up to m * (DLK_WG_LEN - 1)). */
static int dlk_winograd_fits(const dlk_winograd_params *p)
{
    const int64_t m = dlk_winograd_m(p);
    return (p->out[1] + m - 1) / m + 1 <= DLK_WG_LEN && (!p->u16 || p->c_out % 32 == 0);
}

/* A band of tile rows (see dlk_winograd_f32) keeps V and M within
 * DLK_WG_BAND_BYTES (cached: VGG-19's 224x224x64 layer, F(4x4), one band
 * of 59 MB: 23.7 ms in the model at 1 thread; bands of 9.5 MB: 17.7) but
 * has at least DLK_WG_BAND_COLS columns (thinner products are slower, and
 * every band reads all of U again: 28x28x512 in bands of one tile row ran
 * 2x slower). Bands are as even as they can be with at least that many
 * rows (the last may have fewer). Not to be overridden: the
 * compiler sizes the scratch with them. */
#define DLK_WG_BAND_BYTES (10 << 20)
#define DLK_WG_BAND_COLS 256

/* Tile rows per band: at least one, at most all. */
static int64_t dlk_winograd_band(const dlk_winograd_params *p)
{
    const int64_t m = dlk_winograd_m(p), th = (p->out[0] + m - 1) / m, ts = (p->out[1] + m - 1) / m + 1;
    const int64_t row_bytes = (m + 2) * (m + 2) * (p->c_in + p->c_out) * ts * (int64_t)sizeof(float);
    const int64_t min_rows = (DLK_WG_BAND_COLS + ts - 1) / ts;
    int64_t rows = row_bytes > 0 ? DLK_WG_BAND_BYTES / row_bytes : th, bands;
    if (rows < min_rows)
        rows = min_rows;
    if (rows >= th)
        return th;
    bands = th / rows;   /* bands of rows .. 2*rows - 1 tile rows, even */
    return (th + bands - 1) / bands;
}
/*@end*/

/* Outside any section (the compiler sizes the scratch; generated code is
 * handed it): */
/* Columns of V and M: a band of tile rows of ceil(ow/m) + 1 tiles (see dlk_winograd_f32). */
static int64_t dlk_winograd_columns(const dlk_winograd_params *p)
{
    const int64_t m = dlk_winograd_m(p);
    return dlk_winograd_band(p) * ((p->out[1] + m - 1) / m + 1);
}

/* Floats of scratch dlk_winograd_f32 needs: V ((m+2)^2 x c_in x columns)
 * then M ((m+2)^2 x c_out x columns); one image at a time. */
static int64_t dlk_winograd_scratch_floats(const dlk_winograd_params *p)
{
    const int64_t a = dlk_winograd_m(p) + 2;
    return a * a * dlk_winograd_columns(p) * (p->c_in + p->c_out);
}

/*@ dlk_winograd_weights_f32 : dlk_common */
/* U = G g G^T for every (output, input) channel pair, in double:
 * w (c_out x c_in x 3 x 3) -> u, (m+2)^2 row-major c_out x c_in matrices
 * (u[(xi*c_out + o)*c_in + i], xi = (m+2)*row + column of the transformed
 * tile). m = 4: G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 * 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]. m = 2: G = [1 0 0;
 * 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. */
static void dlk_winograd_weights_f32(int m, int64_t c_out, int64_t c_in, const float *w, float *u)
{
    static const double g4[6][3] = {{0.25, 0.0, 0.0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0.0, 0.0, 1.0}};
    static const double g2[4][3] = {{1.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0.0, 0.0, 1.0}};
    const double(*gm)[3] = m == 2 ? g2 : g4;
    const int al = m == 2 ? 4 : 6;
    const int64_t plane = c_out * c_in;
    int64_t o, i;
    int a, b, k, l;
    for (o = 0; o < c_out; o++)
        for (i = 0; i < c_in; i++) {
            const float *g = w + (o * c_in + i) * 9;
            double t[6][3];   /* G g */
            for (a = 0; a < al; a++)
                for (l = 0; l < 3; l++) {
                    double s = 0.0;
                    for (k = 0; k < 3; k++)
                        s += gm[a][k] * g[k * 3 + l];
                    t[a][l] = s;
                }
            for (a = 0; a < al; a++)
                for (b = 0; b < al; b++) {
                    double s = 0.0;
                    for (l = 0; l < 3; l++)
                        s += t[a][l] * gm[b][l];
                    u[(a * al + b) * plane + o * c_in + i] = (float)s;
                }
        }
}
/*@end*/

/*@ dlk_winograd_weights16_f32 : dlk_conv_tiles_weights_f32 */
/* U's al2 row-major c_out x c_in matrices (dlk_winograd_weights_f32) -> u16,
 * each by blocks of 16 output channels as the conv tiles' weights:
 * u16[xi][((o / 16) c_in + i) 16 + o % 16] (c_out a multiple of 16). */
static void dlk_winograd_weights16_f32(int64_t al2, int64_t c_out, int64_t c_in, const float *u, float *u16)
{
    int64_t xi;
    for (xi = 0; xi < al2; xi++)
        dlk_conv_tiles_weights_f32(c_out, c_in, u + xi * c_out * c_in, u16 + xi * c_out * c_in);
}
/*@end*/

/*@ dlk_winograd_f32 : dlk_winograd_params dlk_conv_range dlk_lanes16 dlk_relu_clip_avx512 dlk_sgemm_f32 dlk_sgemm_pack_rows_f32 dlk_epilogue_f32 dlk_parallel dlk_epilogue_in_regs dlk_transpose16 */
/* Layout: the stack buffers of the transforms hold a block of tile rows
 * with one spare column per tile row: tile (ty, tx) at column
 * ty*(tw + 1) + tx. With it the column passes run over the whole block as
 * one flat loop, and the row passes find columns mt, mt+1 of tile tx as
 * phases 0, 1 of tile tx + 1. V and M ((m+2)^2 x channels x th*vs) either
 * keep that layout (vs = tw + 1, portable builds: every pass is one flat
 * loop; spare columns hold finite junk, never written out) or drop the
 * spare columns (vs = tw, AVX-512: the row passes run a tile row at a
 * time with masked loads and stores) so the products get fewer columns:
 * 7 x 7 tiles are 49 instead of 56, 4 x 4 are 16, one 16-column panel,
 * instead of 20. Tile rows are transformed DLK_WG_LEN columns at a time,
 * so a row of tiles may not exceed DLK_WG_LEN - 1 tiles
 * (dlk_winograd_fits). The scratch is sized for the spare layout. */

/* BODY(T, L, S) for J in [0, N): T the element type, L(ptr) a load, S(ptr,
 * value) a store. With AVX-512, J steps 16 at a time on __m512 (gcc and
 * clang take +, -, * with float on it), the rest one float at a time;
 * otherwise blocks of 8 floats with a fixed trip count, which gcc
 * vectorises at -O2. */
#define DLK_WG_LS(P) (*(P))
#define DLK_WG_SS(P, V) (*(P) = (V))
#if defined(__AVX512F__)
#define DLK_WG_LV(P) _mm512_loadu_ps(P)
#define DLK_WG_SV(P, V) _mm512_storeu_ps((P), (V))
#define DLK_WG_FOR(J, N, BODY)                                                 \
    do {                                                                       \
        int64_t J;                                                             \
        for (J = 0; J + 16 <= (N); J += 16)                                    \
            BODY(__m512, DLK_WG_LV, DLK_WG_SV, J, J)                           \
        for (; J < (N); J++)                                                   \
            BODY(float, DLK_WG_LS, DLK_WG_SS, J, J)                            \
    } while (0)
/* BODY for J in [0, N) at buffer index OB + J and V/M index OV + J: masked
 * loads and stores of 16 lanes (N is a row of tiles, often not 16). */
#define DLK_WG_LM(P) _mm512_maskz_loadu_ps(mk_, P)
#define DLK_WG_SM(P, V) _mm512_mask_storeu_ps((P), mk_, (V))
#define DLK_WG_FORM(J, N, OB, OV, BODY)                                        \
    do {                                                                       \
        int64_t J;                                                             \
        for (J = 0; J < (N); J += 16) {                                        \
            const __mmask16 mk_ = dlk_lanes16(J, N);                    \
            BODY(__m512, DLK_WG_LM, DLK_WG_SM, (OB) + J, (OV) + J)             \
        }                                                                      \
    } while (0)
#else
#define DLK_WG_FOR(J, N, BODY)                                                 \
    do {                                                                       \
        int64_t wb_, wk_;                                                      \
        for (wb_ = 0; wb_ + 8 <= (N); wb_ += 8)                                \
            for (wk_ = 0; wk_ < 8; wk_++) {                                    \
                const int64_t J = wb_ + wk_;                                   \
                BODY(float, DLK_WG_LS, DLK_WG_SS, J, J)                        \
            }                                                                  \
        for (; wb_ < (N); wb_++) {                                             \
            const int64_t J = wb_;                                             \
            BODY(float, DLK_WG_LS, DLK_WG_SS, J, J)                            \
        }                                                                      \
    } while (0)
#define DLK_WG_FORM(J, N, OB, OV, BODY)                                        \
    do {                                                                       \
        int64_t J;                                                             \
        for (J = 0; J < (N); J++)                                              \
            BODY(float, DLK_WG_LS, DLK_WG_SS, (OB) + J, (OV) + J)              \
    } while (0)
#endif

/* E[0..5] = B^T (D0..D5); B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0;
 * 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]. */
#define DLK_WG_BT(T, E, D0, D1, D2, D3, D4, D5)                                \
    {                                                                          \
        const T d0_ = (D0), d1_ = (D1), d2_ = (D2), d3_ = (D3);                \
        const T d4_ = (D4), d5_ = (D5);                                        \
        const T t1_ = d4_ - 4.0f * d2_, t2_ = d3_ - 4.0f * d1_;                \
        const T t3_ = d4_ - d2_, t4_ = 2.0f * (d3_ - d1_);                     \
        E[0] = 4.0f * d0_ - 5.0f * d2_ + d4_;                                  \
        E[1] = t1_ + t2_;                                                      \
        E[2] = t1_ - t2_;                                                      \
        E[3] = t3_ + t4_;                                                      \
        E[4] = t3_ - t4_;                                                      \
        E[5] = 4.0f * d1_ - 5.0f * d3_ + d5_;                                  \
    }

/* E[0..3] = B^T (D0..D3) of F(2x2, 3x3); B^T = [1 0 -1 0; 0 1 1 0;
 * 0 -1 1 0; 0 1 0 -1]. */
#define DLK_WG_BT2(T, E, D0, D1, D2, D3)                                       \
    {                                                                          \
        const T d0_ = (D0), d1_ = (D1), d2_ = (D2), d3_ = (D3);                \
        E[0] = d0_ - d2_;                                                      \
        E[1] = d1_ + d2_;                                                      \
        E[2] = d2_ - d1_;                                                      \
        E[3] = d1_ - d3_;                                                      \
    }

/* O[0..3] = A^T (M0..M5) + ADD; A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0;
 * 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
#define DLK_WG_AT(T, O, M0, M1, M2, M3, M4, M5, ADD)                           \
    {                                                                          \
        const T m0_ = (M0), m1_ = (M1), m2_ = (M2), m3_ = (M3);                \
        const T m4_ = (M4), m5_ = (M5);                                        \
        const T a_ = m1_ + m2_, b_ = m1_ - m2_, c_ = m3_ + m4_, d_ = m3_ - m4_; \
        O[0] = m0_ + a_ + c_ + (ADD);                                          \
        O[1] = b_ + 2.0f * d_ + (ADD);                                         \
        O[2] = a_ + 4.0f * c_ + (ADD);                                         \
        O[3] = b_ + 8.0f * d_ + m5_ + (ADD);                                   \
    }

/* O[0..1] = A^T (M0..M3) + ADD of F(2x2, 3x3); A^T = [1 1 1 0; 0 1 -1 -1]. */
#define DLK_WG_AT2(T, O, M0, M1, M2, M3, ADD)                                  \
    {                                                                          \
        const T m1_ = (M1), m2_ = (M2);                                        \
        O[0] = (M0) + m1_ + m2_ + (ADD);                                       \
        O[1] = m1_ - m2_ - (M3) + (ADD);                                       \
    }

/* Whether V and M drop the spare columns (the transforms then run a tile
 * row at a time, with masked AVX-512 accesses): fewer product columns,
 * e.g. 7x7 planes with F(2x2): 16 instead of 20, one 16-column panel
 * instead of a masked 32-column one. The portable build keeps them: its
 * flat loops vectorise. */
#if defined(__AVX512F__)
#define DLK_WG_COMPACT 1
#else
#define DLK_WG_COMPACT 0
#endif

/* The work of one image, shared by the three parallel stages. */
typedef struct dlk_winograd_job {
    const dlk_winograd_params *p;
    const float *x, *u, *b, *r;   /* x, r, y: this image's planes */
    float *y, *v, *m;             /* v: V (al^2 x c_in x t), m: M (al^2 x c_out x t) */
    int64_t mt, al;               /* output tile side (2 or 4), transformed tile side mt + 2 */
    int64_t tw, th, ts;           /* tiles per row, tile rows, ts = tw + 1 (the stack buffers' row) */
    int64_t vs, t;                /* V and M: columns per tile row (ts or tw), t = band rows * vs */
    int64_t ty_lo, ty_hi;         /* the band: tile rows [ty_lo, ty_hi) */
    int64_t rows;                 /* tile rows per block of DLK_WG_LEN columns */
} dlk_winograd_job;

#if defined(__AVX512F__)
#include <immintrin.h>
#endif


/* Input row iy of plane xp (zeros outside it) split by column phase:
 * dst[q*DLK_WG_PAD + j] = x[iy][mt*j + q - left] for j < ts, q < mt.
 * AVX-512: 16 tiles at a time, mt masked loads of 16 columns (zeros in the
 * padding) split into the phases by two rounds of two-source permutes. */
static void dlk_winograd_load_row(const dlk_winograd_job *jb, const float *xp, int64_t iy, float *dst)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t w = p->in[1], ts = jb->ts, st = jb->mt;
#if defined(__AVX512F__)
    const int inside = iy >= 0 && iy < p->in[0];
    const float *row = inside ? xp + iy * w : xp;
    const __m512i even = _mm512_set_epi32(29, 25, 21, 17, 13, 9, 5, 1, 28, 24, 20, 16, 12, 8, 4, 0);
    const __m512i odd = _mm512_set_epi32(31, 27, 23, 19, 15, 11, 7, 3, 30, 26, 22, 18, 14, 10, 6, 2);
    const __m512i lo8 = _mm512_set_epi32(23, 22, 21, 20, 19, 18, 17, 16, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i hi8 = _mm512_set_epi32(31, 30, 29, 28, 27, 26, 25, 24, 15, 14, 13, 12, 11, 10, 9, 8);
    const __m512i ev2 = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i od2 = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    int64_t j;
    for (j = 0; j < ts; j += 16) {
        const int64_t c0 = st * j - p->pads[1];
        const __mmask16 keep = dlk_lanes16(j, ts);
        __m512 x0, x1, x2, x3;
        x0 = inside ? _mm512_maskz_loadu_ps(dlk_lanes16(c0, w), row + c0) : _mm512_setzero_ps();
        x1 = inside ? _mm512_maskz_loadu_ps(dlk_lanes16(c0 + 16, w), row + c0 + 16) : x0;
        if (st == 2) {
            _mm512_mask_storeu_ps(dst + j, keep, _mm512_permutex2var_ps(x0, ev2, x1));
            _mm512_mask_storeu_ps(dst + DLK_WG_PAD + j, keep, _mm512_permutex2var_ps(x0, od2, x1));
        } else {
            __m512 b01, b23, c01, c23;
            x2 = inside ? _mm512_maskz_loadu_ps(dlk_lanes16(c0 + 32, w), row + c0 + 32) : x0;
            x3 = inside ? _mm512_maskz_loadu_ps(dlk_lanes16(c0 + 48, w), row + c0 + 48) : x0;
            b01 = _mm512_permutex2var_ps(x0, even, x1);   /* phases 0 | 1 of tiles j .. j+7 */
            b23 = _mm512_permutex2var_ps(x0, odd, x1);    /* phases 2 | 3 */
            c01 = _mm512_permutex2var_ps(x2, even, x3);   /* the same for tiles j+8 .. j+15 */
            c23 = _mm512_permutex2var_ps(x2, odd, x3);
            _mm512_mask_storeu_ps(dst + j, keep, _mm512_permutex2var_ps(b01, lo8, c01));
            _mm512_mask_storeu_ps(dst + DLK_WG_PAD + j, keep, _mm512_permutex2var_ps(b01, hi8, c01));
            _mm512_mask_storeu_ps(dst + 2 * DLK_WG_PAD + j, keep, _mm512_permutex2var_ps(b23, lo8, c23));
            _mm512_mask_storeu_ps(dst + 3 * DLK_WG_PAD + j, keep, _mm512_permutex2var_ps(b23, hi8, c23));
        }
    }
#else
    int q;
    for (q = 0; q < st; q++) {
        float *restrict d = dst + q * DLK_WG_PAD;
        const int64_t off = q - p->pads[1];
        int64_t lo = ts, hi = ts, j;
        if (iy >= 0 && iy < p->in[0])
            dlk_conv_range(off, st, w, ts, &lo, &hi);
        for (j = 0; j < lo; j++)
            d[j] = 0.0f;
        if (hi > lo) {
            const float *restrict s = xp + iy * w + off;
            if (st == 2)
                for (j = lo; j < hi; j++)
                    d[j] = s[2 * j];
            else
                for (j = lo; j < hi; j++)
                    d[j] = s[4 * j];
        }
        for (j = hi; j < ts; j++)
            d[j] = 0.0f;
    }
#endif
}

/* F(4x4): V of input channel c for tile rows [ty0, ty0 + nty). */
static void dlk_winograd_input_block4(const dlk_winograd_job *jb, int64_t c, int64_t ty0, int64_t nty)
{
    const dlk_winograd_params *p = jb->p;
    const float *xp = jb->x + c * p->in[0] * p->in[1];
    const int64_t len = nty * jb->ts, vstride = p->c_in * jb->t;
    float a[6][4][DLK_WG_PAD];
    int64_t t;
    int r, q, k;
    for (r = 0; r < 6; r++)
        for (t = 0; t < nty; t++)
            dlk_winograd_load_row(jb, xp, 4 * (ty0 + t) + r - p->pads[0], &a[r][0][t * jb->ts]);
    /* Down the columns, in place: a[k] = sum_r B^T[k][r] a[r], per phase. */
#define DLK_WG_COL(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T e_[6];                                                                                            \
        DLK_WG_BT(T, e_, L(&a[0][q][i]), L(&a[1][q][i]), L(&a[2][q][i]), L(&a[3][q][i]), L(&a[4][q][i]),    \
                  L(&a[5][q][i]));                                                                          \
        S(&a[0][q][i], e_[0]); S(&a[1][q][i], e_[1]); S(&a[2][q][i], e_[2]);                                \
        S(&a[3][q][i], e_[3]); S(&a[4][q][i], e_[4]); S(&a[5][q][i], e_[5]);                                \
    }
    for (q = 0; q < 4; q++)
        DLK_WG_FOR(i, len, DLK_WG_COL);
#undef DLK_WG_COL
    /* Along the rows: columns 4, 5 of tile j are phases 0, 1 of tile j + 1
     * (for the spare column: of the next tile row, or the zeros after the block). */
#define DLK_WG_ROW(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T e_[6];                                                                                            \
        DLK_WG_BT(T, e_, L(&a[k][0][i]), L(&a[k][1][i]), L(&a[k][2][i]), L(&a[k][3][i]), L(&a[k][0][i + 1]), \
                  L(&a[k][1][i + 1]));                                                                      \
        S(v0 + iv, e_[0]); S(v1 + iv, e_[1]); S(v2 + iv, e_[2]);                                            \
        S(v3 + iv, e_[3]); S(v4 + iv, e_[4]); S(v5 + iv, e_[5]);                                            \
    }
    for (k = 0; k < 6; k++) {
        float *restrict v0 = jb->v + (6 * k * p->c_in + c) * jb->t + (ty0 - jb->ty_lo) * jb->vs;
        float *restrict v1 = v0 + vstride, *restrict v2 = v1 + vstride, *restrict v3 = v2 + vstride;
        float *restrict v4 = v3 + vstride, *restrict v5 = v4 + vstride;
        a[k][0][len] = a[k][1][len] = 0.0f;
        if (jb->vs == jb->ts)
            DLK_WG_FOR(i, len, DLK_WG_ROW);
        else
            for (t = 0; t < nty; t++)
                DLK_WG_FORM(j, jb->tw, t * jb->ts, t * jb->vs, DLK_WG_ROW);
    }
#undef DLK_WG_ROW
}

/* F(2x2): V of input channel c for tile rows [ty0, ty0 + nty); as
 * dlk_winograd_input_block4 with 4x4 tiles at stride 2 (columns 2, 3 of
 * tile j are phases 0, 1 of tile j + 1). */
static void dlk_winograd_input_block2(const dlk_winograd_job *jb, int64_t c, int64_t ty0, int64_t nty)
{
    const dlk_winograd_params *p = jb->p;
    const float *xp = jb->x + c * p->in[0] * p->in[1];
    const int64_t len = nty * jb->ts, vstride = p->c_in * jb->t;
    float a[4][2][DLK_WG_PAD];
    int64_t t;
    int r, q, k;
    for (r = 0; r < 4; r++)
        for (t = 0; t < nty; t++)
            dlk_winograd_load_row(jb, xp, 2 * (ty0 + t) + r - p->pads[0], &a[r][0][t * jb->ts]);
#define DLK_WG_COL(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T e_[4];                                                                                            \
        DLK_WG_BT2(T, e_, L(&a[0][q][i]), L(&a[1][q][i]), L(&a[2][q][i]), L(&a[3][q][i]));                  \
        S(&a[0][q][i], e_[0]); S(&a[1][q][i], e_[1]); S(&a[2][q][i], e_[2]); S(&a[3][q][i], e_[3]);         \
    }
    for (q = 0; q < 2; q++)
        DLK_WG_FOR(i, len, DLK_WG_COL);
#undef DLK_WG_COL
#define DLK_WG_ROW(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T e_[4];                                                                                            \
        DLK_WG_BT2(T, e_, L(&a[k][0][i]), L(&a[k][1][i]), L(&a[k][0][i + 1]), L(&a[k][1][i + 1]));          \
        S(v0 + iv, e_[0]); S(v1 + iv, e_[1]); S(v2 + iv, e_[2]); S(v3 + iv, e_[3]);                         \
    }
    for (k = 0; k < 4; k++) {
        float *restrict v0 = jb->v + (4 * k * p->c_in + c) * jb->t + (ty0 - jb->ty_lo) * jb->vs;
        float *restrict v1 = v0 + vstride, *restrict v2 = v1 + vstride, *restrict v3 = v2 + vstride;
        a[k][0][len] = a[k][1][len] = 0.0f;
        if (jb->vs == jb->ts)
            DLK_WG_FOR(i, len, DLK_WG_ROW);
        else
            for (t = 0; t < nty; t++)
                DLK_WG_FORM(j, jb->tw, t * jb->ts, t * jb->vs, DLK_WG_ROW);
    }
#undef DLK_WG_ROW
}

/* Input channels [begin, end) of the image into V. */
static void dlk_winograd_input_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_winograd_job *jb = (const dlk_winograd_job *)arg;
    int64_t c, ty;
    for (c = begin; c < end; c++)
        for (ty = jb->ty_lo; ty < jb->ty_hi; ty += jb->rows) {
            const int64_t nty = jb->ty_hi - ty < jb->rows ? jb->ty_hi - ty : jb->rows;
            if (jb->mt == 2)
                dlk_winograd_input_block2(jb, c, ty, nty);
            else
                dlk_winograd_input_block4(jb, c, ty, nty);
        }
}

/* The product of xi's U (blocks of 16 output channels, u16) and V into M,
 * on channel tiles as conv_tiles.h's: 2 blocks x DLK_WG_CT tile columns of
 * sums in registers over the input channels (2 weight loads and 14
 * broadcasts per 28 multiply-adds, k in order from zero), then transposed
 * to M's rows.
 * The packed product's 32-column panels left the tile columns ragged (49 of
 * them: a panel of 17) and packed each V: one core, best of 300, against
 * it: SqueezeNet's 16 -> 64 on 55x55 F(4x4) 0.087 -> 0.078 ms, 64 -> 256 on
 * 13x13 F(2x2) 0.120 -> 0.103, DenseNet-121's 128 -> 32 on 56x56 0.295 ->
 * 0.215, ResNet-50's 64 -> 64 on 56x56 0.263 -> 0.230, 128 -> 128 on 28x28
 * 0.262 -> 0.217, 256 -> 256 on 14x14 F(2x2) 0.426 -> 0.375. */
#define DLK_WG_CT 14
#if defined(__AVX512F__)
/* pf: lines to ask into L2, one per input channel (pf2: a second one;
 * NULL: none). */
static DLK_INLINE void dlk_winograd_ct_tile(const float *v, int64_t t, const float *wa, const float *wb, int64_t c_in,
                                            float *m, int64_t t0, const int R, const char *pf, const char *pf2)
{
    __m512 acc[2 * DLK_WG_CT];
    const float *x = v + t0;
    int64_t ci;
    int i, ob;
    for (i = 0; i < R; i++)
        acc[i] = acc[DLK_WG_CT + i] = _mm512_setzero_ps();
    for (ci = 0; ci < c_in; ci++, x += t) {
        const __m512 a = _mm512_loadu_ps(wa + ci * 16), b = _mm512_loadu_ps(wb + ci * 16);
        if (pf != NULL)
            _mm_prefetch(pf + ci * 64, _MM_HINT_T1);
        if (pf2 != NULL)
            _mm_prefetch(pf2 + ci * 64, _MM_HINT_T1);
        for (i = 0; i < R; i++) {
            const __m512 xv = _mm512_set1_ps(x[i]);
            acc[i] = _mm512_fmadd_ps(a, xv, acc[i]);
            acc[DLK_WG_CT + i] = _mm512_fmadd_ps(b, xv, acc[DLK_WG_CT + i]);
        }
    }
    for (ob = 0; ob < 2; ob++) {
        __m512 z[16];
        for (i = 0; i < 16; i++)
            z[i] = i < R ? acc[ob * DLK_WG_CT + i] : _mm512_setzero_ps();
        dlk_transpose16(z);   /* z[l]: channel l's R tile columns */
        for (i = 0; i < 16; i++)
            _mm512_mask_storeu_ps(m + (ob * 16 + i) * t + t0, (__mmask16)((1u << R) - 1u), z[i]);
    }
}
#endif

static void dlk_winograd_ct_product(const dlk_winograd_job *jb, int64_t xi)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t t = jb->t, c_in = p->c_in, c_out = p->c_out;
    const float *v = jb->v + xi * c_in * t, *u = jb->u + xi * c_out * c_in;
    float *m = jb->m + xi * c_out * t;
    int64_t pr;
    for (pr = 0; pr < c_out / 32; pr++) {
        const float *wa = u + 2 * pr * c_in * 16, *wb = wa + c_in * 16;
        float *mp = m + pr * 32 * t;
#if defined(__AVX512F__)
        /* The weights come from memory once per run (ResNet-50's F(2x2)
         * U: 4 MB for 256 -> 256): the first two tiles of a pair ask for
         * the next pair's weights (U's next 32 x c_in floats, in this xi or
         * the next: 2 c_in lines), one line per input channel, into L2;
         * without it ResNet-50 ran 4 % slower than with the packed
         * product, which prefetches its A rows the same way. */
        const int64_t lines = 2 * c_in;   /* the next pair's */
        const char *pf = jb->al * jb->al * c_out - xi * c_out - (pr + 1) * 32 >= 32 ? (const char *)(wa + 2 * c_in * 16)
                                                                                    : NULL;
        int64_t t0;
        for (t0 = 0; t0 + DLK_WG_CT <= t; t0 += DLK_WG_CT) {
            const int64_t s = t0 / DLK_WG_CT;
            const char *a = pf != NULL && s < 2 ? pf + s * (lines / 2) * 64 : NULL;
            const char *b = pf != NULL && s == 0 && t < 2 * DLK_WG_CT ? pf + (lines / 2) * 64 : NULL;
            dlk_winograd_ct_tile(v, t, wa, wb, c_in, mp, t0, DLK_WG_CT, a, b);
        }
        {
            const int64_t s = t0 / DLK_WG_CT;
            const char *a = pf != NULL && s < 2 ? pf + s * (lines / 2) * 64 : NULL;
            const char *b = pf != NULL && s == 0 ? pf + (lines / 2) * 64 : NULL;
            switch ((int)(t - t0)) {
#define DLK_WG_CT_CASE(R)                                               \
    case R:                                                             \
        dlk_winograd_ct_tile(v, t, wa, wb, c_in, mp, t0, R, a, b);      \
        break;
                DLK_WG_CT_CASE(1)
                DLK_WG_CT_CASE(2)
                DLK_WG_CT_CASE(3)
                DLK_WG_CT_CASE(4)
                DLK_WG_CT_CASE(5)
                DLK_WG_CT_CASE(6)
                DLK_WG_CT_CASE(7)
                DLK_WG_CT_CASE(8)
                DLK_WG_CT_CASE(9)
                DLK_WG_CT_CASE(10)
                DLK_WG_CT_CASE(11)
                DLK_WG_CT_CASE(12)
                DLK_WG_CT_CASE(13)
#undef DLK_WG_CT_CASE
            default:
                break;
            }
        }
#else
        /* the same sums, in k order, as plain loops along the tile
         * columns (which compilers vectorise) */
        int64_t c, j, ci;
        for (c = 0; c < 32; c++) {
            const float *w = (c < 16 ? wa : wb) + c % 16;
            float *mr = mp + c * t;
            for (j = 0; j < t; j++)
                mr[j] = 0.0f;
            for (ci = 0; ci < c_in; ci++) {
                const float wc = w[ci * 16], *vr = v + ci * t;
                for (j = 0; j < t; j++)
                    mr[j] += wc * vr[j];
            }
        }
#endif
    }
}

/* Products [begin, end) of the al^2, each on the calling thread. */
static void dlk_winograd_gemm_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_winograd_job *jb = (const dlk_winograd_job *)arg;
    const dlk_winograd_params *p = jb->p;
    int64_t xi;
    for (xi = begin; xi < end; xi++) {
        dlk_sgemm_rows_b vb;
        dlk_sgemm_args g;
        if (p->u16) {
            dlk_winograd_ct_product(jb, xi);
            continue;
        }
        memset(&g, 0, sizeof g);
        vb.b = jb->v + xi * p->c_in * jb->t;
        vb.ldb = jb->t;
        g.m = p->c_out;
        g.n = jb->t;
        g.k = p->c_in;
        g.a = jb->u + xi * p->c_out * p->c_in;
        g.lda = p->c_in;
        g.pack = dlk_sgemm_pack_rows_f32;
        g.pack_ctx = &vb;
        /* V[xi] is a plain matrix: the product packs it in its first strip
         * and prefetches its next block (ResNet-50's and SqueezeNet's
         * shapes, five alternated runs: medians even to 3 % faster, same
         * bits); not for products of few rows, whose kernel reading B in
         * place lost here (128 -> 32 on 14x14: 0.093 -> 0.109 ms) */
        if (g.m > DLK_SGEMM_SMALL_M) {
            g.b = vb.b;
            g.ldb = vb.ldb;
        }
        g.c = jb->m + xi * p->c_out * jb->t;
        g.ldc = jb->t;
        dlk_sgemm_f32(NULL, &g);
    }
}

#if defined(__AVX512F__)
/* Tiles [j, j + 16) of output row yr: zl holds column mt*tx + l of tile
 * j + tx (z2, z3 unused for F(2x2)), interleaved back by permutes and
 * stored with masks, the Relu or Clip applied to the registers where
 * dlk_epilogue_in_regs says so (run over each row after the stores, on rows
 * of 14 to 56 values, the epilogue took 11 % of a 16 -> 64 conv on 55x55). */
static void dlk_winograd_put16(const dlk_winograd_job *jb, float *yr, int64_t j, __m512 z0, __m512 z1, __m512 z2,
                               __m512 z3)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t ow = p->out[1], c0 = jb->mt * j;
    const __m512i zip_lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i zip_hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const int relu = p->ep.act == DLK_ACT_RELU, clip = p->ep.act == DLK_ACT_CLIP;
    const int in_regs = dlk_epilogue_in_regs(&p->ep, jb->r);
    const float lo = p->ep.alpha, hi = p->ep.beta;
    float *d = yr + c0;
#define DLK_WG_ACT(v) (in_regs ? dlk_relu_clip_avx512((v), relu, clip, lo, hi) : (v))
    if (jb->mt == 2) {
        _mm512_mask_storeu_ps(d, dlk_lanes16(c0, ow), DLK_WG_ACT(_mm512_permutex2var_ps(z0, zip_lo, z1)));
        _mm512_mask_storeu_ps(d + 16, dlk_lanes16(c0 + 16, ow), DLK_WG_ACT(_mm512_permutex2var_ps(z0, zip_hi, z1)));
    } else {
        const __m512i quad_lo = _mm512_set_epi32(23, 22, 7, 6, 21, 20, 5, 4, 19, 18, 3, 2, 17, 16, 1, 0);
        const __m512i quad_hi = _mm512_set_epi32(31, 30, 15, 14, 29, 28, 13, 12, 27, 26, 11, 10, 25, 24, 9, 8);
        const __m512 p01l = _mm512_permutex2var_ps(z0, zip_lo, z1);
        const __m512 p01h = _mm512_permutex2var_ps(z0, zip_hi, z1);
        const __m512 p23l = _mm512_permutex2var_ps(z2, zip_lo, z3);
        const __m512 p23h = _mm512_permutex2var_ps(z2, zip_hi, z3);
        _mm512_mask_storeu_ps(d, dlk_lanes16(c0, ow), DLK_WG_ACT(_mm512_permutex2var_ps(p01l, quad_lo, p23l)));
        _mm512_mask_storeu_ps(d + 16, dlk_lanes16(c0 + 16, ow), DLK_WG_ACT(_mm512_permutex2var_ps(p01l, quad_hi, p23l)));
        _mm512_mask_storeu_ps(d + 32, dlk_lanes16(c0 + 32, ow), DLK_WG_ACT(_mm512_permutex2var_ps(p01h, quad_lo, p23h)));
        _mm512_mask_storeu_ps(d + 48, dlk_lanes16(c0 + 48, ow), DLK_WG_ACT(_mm512_permutex2var_ps(p01h, quad_hi, p23h)));
    }
#undef DLK_WG_ACT
}
#endif

#if !defined(__AVX512F__)
/* Output row oy of channel o from z (z[l][tx] is column mt*tx + l of the
 * tile row), cropped to the output width, then the epilogue. */
static void dlk_winograd_put_row(const dlk_winograd_job *jb, int64_t o, int64_t oy, float (*z)[DLK_WG_PAD],
                                 int64_t at)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t ow = p->out[1], st = jb->mt, off = (o * p->out[0] + oy) * ow, full = ow / st;
    float *restrict yr = jb->y + off;
    int64_t j, l;
    if (st == 2)
        for (j = 0; j < full; j++) {
            yr[2 * j] = z[0][at + j];
            yr[2 * j + 1] = z[1][at + j];
        }
    else
        for (j = 0; j < full; j++)
            for (l = 0; l < 4; l++)
                yr[4 * j + l] = z[l][at + j];
    for (l = 0; st * full + l < ow; l++)
        yr[st * full + l] = z[l][at + full];
    if (p->ep.act != DLK_ACT_NONE || jb->r != NULL)
        dlk_epilogue_f32(&p->ep, yr, jb->r != NULL ? jb->r + off : NULL, ow);
}
#endif

#if defined(__AVX512F__)
/* Output channel o for tile rows [ty0, ty0 + nty) with AVX-512 (V and M
 * compact): the output transform plus the bias, 16 tiles of a tile row at
 * a time, in registers from M's rows to the output rows, the same sums in
 * the same order as the portable passes below, which write and read back
 * 6 x 4 + 4 x 4 rows of stack buffers per tile row (F(4x4)): with them the
 * output transform was about 40 % of a 16 -> 64 conv on 55x55 (0.30 ->
 * 0.26 ms). MT: 4 or 2 (al = MT + 2). Then the epilogue over the rows
 * where put16 did not apply it. */
static void dlk_winograd_output_regs(const dlk_winograd_job *jb, int64_t o, int64_t ty0, int64_t nty, const int MT)
{
    const dlk_winograd_params *p = jb->p;
    const int AL = MT + 2;
    const float bias = jb->b != NULL ? jb->b[o] : 0.0f;
    const int64_t tv = jb->t, ms = p->c_out * tv, ow = p->out[1];
    int64_t t, j;
    int k, l, a;
    for (t = 0; t < nty; t++) {
        const int64_t ty = ty0 + t, rows = p->out[0] - MT * ty < MT ? p->out[0] - MT * ty : MT;
        const float *mo = jb->m + o * tv + (ty - jb->ty_lo) * jb->vs;
        float *y0 = jb->y + (o * p->out[0] + MT * ty) * ow;
        for (j = 0; j < jb->tw; j += 16) {
            const __mmask16 mk = dlk_lanes16(j, jb->tw);
            __m512 sk[6][4], z[4][4];
            /* Along the rows: sk[k] = A^T (M[al k .. al k + al - 1]). */
            for (k = 0; k < AL; k++) {
                const float *m0 = mo + AL * k * ms + j;
                if (MT == 4)
                    DLK_WG_AT(__m512, sk[k], _mm512_maskz_loadu_ps(mk, m0), _mm512_maskz_loadu_ps(mk, m0 + ms),
                              _mm512_maskz_loadu_ps(mk, m0 + 2 * ms), _mm512_maskz_loadu_ps(mk, m0 + 3 * ms),
                              _mm512_maskz_loadu_ps(mk, m0 + 4 * ms), _mm512_maskz_loadu_ps(mk, m0 + 5 * ms), 0.0f)
                else
                    DLK_WG_AT2(__m512, sk[k], _mm512_maskz_loadu_ps(mk, m0), _mm512_maskz_loadu_ps(mk, m0 + ms),
                               _mm512_maskz_loadu_ps(mk, m0 + 2 * ms), _mm512_maskz_loadu_ps(mk, m0 + 3 * ms), 0.0f)
            }
            /* Down the columns: z[a][l] = sum_k A^T[a][k] sk[k][l] + bias. */
            for (l = 0; l < MT; l++) {
                /* zeros: gcc 12 -O3 took o_[2] as read when MT is 2 (maybe-uninitialized) */
                __m512 o_[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
                if (MT == 4)
                    DLK_WG_AT(__m512, o_, sk[0][l], sk[1][l], sk[2][l], sk[3][l], sk[4][l], sk[5][l], bias)
                else
                    DLK_WG_AT2(__m512, o_, sk[0][l], sk[1][l], sk[2][l], sk[3][l], bias)
                for (a = 0; a < MT; a++)
                    z[a][l] = o_[a];
            }
            for (a = 0; a < rows; a++)
                dlk_winograd_put16(jb, y0 + a * ow, j, z[a][0], z[a][1], MT == 4 ? z[a][2] : z[a][0],
                                   MT == 4 ? z[a][3] : z[a][1]);
        }
        if (!dlk_epilogue_in_regs(&p->ep, jb->r))
            for (a = 0; a < rows; a++)
                dlk_epilogue_f32(&p->ep, y0 + a * ow, jb->r != NULL ? jb->r + (y0 - jb->y) + a * ow : NULL, ow);
    }
}
#endif

#if !defined(__AVX512F__)
/* F(4x4): output channel o for tile rows [ty0, ty0 + nty): the output
 * transform plus the bias (portable builds: V and M keep the spare
 * columns, every pass is one flat loop). */
static void dlk_winograd_output_block4(const dlk_winograd_job *jb, int64_t o, int64_t ty0, int64_t nty)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t len = nty * jb->ts, mstride = p->c_out * jb->t;
    const float bias = jb->b != NULL ? jb->b[o] : 0.0f;
    float s[6][4][DLK_WG_PAD], z[4][4][DLK_WG_PAD];
    int64_t t, a;
    int k, l;
    /* Along the rows: s[k] = A^T (M[6k .. 6k+5]). */
#define DLK_WG_ROW(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T o_[4];                                                                                            \
        DLK_WG_AT(T, o_, L(m0 + iv), L(m1 + iv), L(m2 + iv), L(m3 + iv), L(m4 + iv), L(m5 + iv), 0.0f);     \
        S(&s[k][0][i], o_[0]); S(&s[k][1][i], o_[1]); S(&s[k][2][i], o_[2]); S(&s[k][3][i], o_[3]);         \
    }
    for (k = 0; k < 6; k++) {
        const float *restrict m0 = jb->m + (6 * k * p->c_out + o) * jb->t + (ty0 - jb->ty_lo) * jb->vs;
        const float *restrict m1 = m0 + mstride, *restrict m2 = m1 + mstride, *restrict m3 = m2 + mstride;
        const float *restrict m4 = m3 + mstride, *restrict m5 = m4 + mstride;
        DLK_WG_FOR(i, len, DLK_WG_ROW);
    }
#undef DLK_WG_ROW
    /* Down the columns: z[a][l] = sum_k A^T[a][k] s[k][l] + bias. */
#define DLK_WG_COL(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T o_[4];                                                                                            \
        DLK_WG_AT(T, o_, L(&s[0][l][i]), L(&s[1][l][i]), L(&s[2][l][i]), L(&s[3][l][i]), L(&s[4][l][i]),    \
                  L(&s[5][l][i]), bias);                                                                    \
        S(&z[0][l][i], o_[0]); S(&z[1][l][i], o_[1]); S(&z[2][l][i], o_[2]); S(&z[3][l][i], o_[3]);         \
    }
    for (l = 0; l < 4; l++)
        DLK_WG_FOR(i, len, DLK_WG_COL);
#undef DLK_WG_COL
    for (t = 0; t < nty; t++)
        for (a = 0; a < 4 && 4 * (ty0 + t) + a < p->out[0]; a++)
            dlk_winograd_put_row(jb, o, 4 * (ty0 + t) + a, z[a], t * jb->ts);
}

/* F(2x2): as dlk_winograd_output_block4 with 2x2 output tiles. */
static void dlk_winograd_output_block2(const dlk_winograd_job *jb, int64_t o, int64_t ty0, int64_t nty)
{
    const dlk_winograd_params *p = jb->p;
    const int64_t len = nty * jb->ts, mstride = p->c_out * jb->t;
    const float bias = jb->b != NULL ? jb->b[o] : 0.0f;
    float s[4][2][DLK_WG_PAD], z[2][2][DLK_WG_PAD];
    int64_t t, a;
    int k, l;
#define DLK_WG_ROW(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T o_[2];                                                                                            \
        DLK_WG_AT2(T, o_, L(m0 + iv), L(m1 + iv), L(m2 + iv), L(m3 + iv), 0.0f);                            \
        S(&s[k][0][i], o_[0]); S(&s[k][1][i], o_[1]);                                                       \
    }
    for (k = 0; k < 4; k++) {
        const float *restrict m0 = jb->m + (4 * k * p->c_out + o) * jb->t + (ty0 - jb->ty_lo) * jb->vs;
        const float *restrict m1 = m0 + mstride, *restrict m2 = m1 + mstride, *restrict m3 = m2 + mstride;
        DLK_WG_FOR(i, len, DLK_WG_ROW);
    }
#undef DLK_WG_ROW
#define DLK_WG_COL(T, L, S, i, iv)                                                                          \
    {                                                                                                       \
        T o_[2];                                                                                            \
        DLK_WG_AT2(T, o_, L(&s[0][l][i]), L(&s[1][l][i]), L(&s[2][l][i]), L(&s[3][l][i]), bias);            \
        S(&z[0][l][i], o_[0]); S(&z[1][l][i], o_[1]);                                                       \
    }
    for (l = 0; l < 2; l++)
        DLK_WG_FOR(i, len, DLK_WG_COL);
#undef DLK_WG_COL
    for (t = 0; t < nty; t++)
        for (a = 0; a < 2 && 2 * (ty0 + t) + a < p->out[0]; a++)
            dlk_winograd_put_row(jb, o, 2 * (ty0 + t) + a, z[a], t * jb->ts);
}
#endif

/* Output channels [begin, end) of the image. */
static void dlk_winograd_output_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_winograd_job *jb = (const dlk_winograd_job *)arg;
    int64_t o, ty;
    for (o = begin; o < end; o++)
        for (ty = jb->ty_lo; ty < jb->ty_hi; ty += jb->rows) {
            const int64_t nty = jb->ty_hi - ty < jb->rows ? jb->ty_hi - ty : jb->rows;
#if defined(__AVX512F__)
            if (jb->mt == 2)
                dlk_winograd_output_regs(jb, o, ty, nty, 2);
            else
                dlk_winograd_output_regs(jb, o, ty, nty, 4);
#else
            if (jb->mt == 2)
                dlk_winograd_output_block2(jb, o, ty, nty);
            else
                dlk_winograd_output_block4(jb, o, ty, nty);
#endif
        }
}

/* y (n x c_out x out) = conv(x, w) + b (NULL: none), then the epilogue
 * p->ep with residual r (y's shape, or NULL). u: the transformed weights
 * (dlk_winograd_weights_f32); scratch: dlk_winograd_scratch_floats(p)
 * floats. Needs dlk_winograd_fits(p). Work is split over par (NULL: one
 * thread). Runs a band of tile rows at a time (dlk_winograd_band): V and M
 * of a band stay within about DLK_WG_BAND_BYTES, in L2, where VGG-19's
 * 224 x 224 x 64 layer as one band wrote and read 58 MB of V and M. */
static void dlk_winograd_f32(const dlk_par *par, const dlk_winograd_params *p, const float *x,
                             const float *u, const float *b, const float *r, float *y, float *scratch)
{
    const int64_t in_img = p->c_in * p->in[0] * p->in[1], out_img = p->c_out * p->out[0] * p->out[1];
    const int64_t band = dlk_winograd_band(p);
    dlk_winograd_job jb;
    int64_t img, ty;
    if (out_img <= 0 || !dlk_winograd_fits(p))
        return;
    jb.p = p;
    jb.u = u;
    jb.b = b;
    jb.mt = dlk_winograd_m(p);
    jb.al = jb.mt + 2;
    jb.tw = (p->out[1] + jb.mt - 1) / jb.mt;
    jb.th = (p->out[0] + jb.mt - 1) / jb.mt;
    jb.ts = jb.tw + 1;
    jb.vs = DLK_WG_COMPACT ? jb.tw : jb.ts;
    jb.rows = DLK_WG_LEN / jb.ts;
    jb.v = scratch;
    jb.m = scratch + jb.al * jb.al * p->c_in * band * jb.ts;
    for (img = 0; img < p->n; img++) {
        jb.x = x + img * in_img;
        jb.y = y + img * out_img;
        jb.r = r != NULL ? r + img * out_img : NULL;
        for (ty = 0; ty < jb.th; ty += band) {
            jb.ty_lo = ty;
            jb.ty_hi = jb.th - ty < band ? jb.th : ty + band;
            jb.t = (jb.ty_hi - jb.ty_lo) * jb.vs;
            dlk_parallel_for(par, dlk_winograd_input_task, &jb, p->c_in);
            dlk_parallel_for(par, dlk_winograd_gemm_task, &jb, jb.al * jb.al);
            dlk_parallel_for(par, dlk_winograd_output_task, &jb, p->c_out);
        }
    }
}
#undef DLK_WG_CT
#undef DLK_WG_FOR
#undef DLK_WG_FORM
#undef DLK_WG_LM
#undef DLK_WG_SM
#undef DLK_WG_COMPACT
#undef DLK_WG_LS
#undef DLK_WG_SS
#undef DLK_WG_LV
#undef DLK_WG_SV
#undef DLK_WG_BT
#undef DLK_WG_AT
#undef DLK_WG_BT2
#undef DLK_WG_AT2
/*@end*/

#endif
