/* The blocked layout NCHW16c: a tensor N x C x H x W is stored as
 * N x ceil(C/16) x H x W x 16, sixteen channels of one pixel side by side
 * (the channels past C are zero), so an AVX-512 register holds one pixel's
 * block of channels. passes/layout.c puts regions of convolutions in it;
 * these kernels convert at the region's edges and run the convolutions
 * inside it.
 *
 * The direct convolution (dlk_conv16_f32) keeps a tile of 2 output-channel
 * blocks x up to 14 pixels of one output row in 28 registers; for each
 * input channel it loads the two weight vectors once and broadcasts each
 * pixel's input value from the blocked input in place: no im2col, no
 * packing, for any kernel size, stride, dilation and padding. Its weights
 * are reordered at compile time (dlk_conv16_weights_f32). */
#ifndef DLK_BLOCKED_H
#define DLK_BLOCKED_H

#include "common.h"
#include "conv.h"
#include "epilogue.h"
#include "parallel.h"

/*@ dlk_blocked_sizes : dlk_common */
#define DLK_BLOCK 16
/* Channel blocks of c channels. */
static int64_t dlk_blocks16(int64_t c)
{
    return (c + DLK_BLOCK - 1) / DLK_BLOCK;
}
/*@end*/

/*@ dlk_to_blocked_f32 : dlk_blocked_sizes dlk_parallel dlk_lanes16 dlk_transpose16 */
typedef struct dlk_reorder_job {
    const float *x;
    float *y;
    int64_t c, hw, cb;   /* channels, pixels per plane, channel blocks */
} dlk_reorder_job;

/* Blocks [begin, end) of images x channel blocks: NCHW -> NCHW16c. */
static void dlk_to_blocked_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_reorder_job *t = arg;
    for (int64_t item = begin; item < end; item++) {
        const int64_t img = item / t->cb, blk = item % t->cb, c0 = blk * DLK_BLOCK;
        const int64_t nc = t->c - c0 < DLK_BLOCK ? t->c - c0 : DLK_BLOCK;
        const float *x = t->x + (img * t->c + c0) * t->hw;
        float *y = t->y + item * t->hw * DLK_BLOCK;
        int64_t p = 0;
#if defined(__AVX512F__)
        for (; p < t->hw; p += DLK_BLOCK) {
            const int64_t np = t->hw - p < DLK_BLOCK ? t->hw - p : DLK_BLOCK;
            const __mmask16 m = dlk_lanes16(0, np);
            __m512 v[16];
            int i;
            for (i = 0; i < 16; i++)
                v[i] = i < nc ? _mm512_maskz_loadu_ps(m, x + i * t->hw + p) : _mm512_setzero_ps();
            dlk_transpose16(v);
            for (i = 0; i < np; i++)
                _mm512_storeu_ps(y + (p + i) * DLK_BLOCK, v[i]);
        }
#endif
        for (; p < t->hw; p++)
            for (int64_t i = 0; i < DLK_BLOCK; i++)
                y[p * DLK_BLOCK + i] = i < nc ? x[i * t->hw + p] : 0.0f;
    }
}

/* x (N x C x hw) -> y (N x ceil(C/16) x hw x 16), the lanes past C zero. */
static void dlk_to_blocked_f32(const dlk_par *par, int64_t n, int64_t c, int64_t hw, const float *x, float *y)
{
    dlk_reorder_job t = {x, y, c, hw, dlk_blocks16(c)};
    dlk_parallel_for(par, dlk_to_blocked_task, &t, n * t.cb);
}
/*@end*/

/*@ dlk_from_blocked_f32 : dlk_blocked_sizes dlk_parallel dlk_lanes16 dlk_transpose16 dlk_to_blocked_f32 */
/* Blocks [begin, end): NCHW16c -> NCHW (the lanes past C dropped). */
static void dlk_from_blocked_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_reorder_job *t = arg;
    for (int64_t item = begin; item < end; item++) {
        const int64_t img = item / t->cb, blk = item % t->cb, c0 = blk * DLK_BLOCK;
        const int64_t nc = t->c - c0 < DLK_BLOCK ? t->c - c0 : DLK_BLOCK;
        const float *x = t->x + item * t->hw * DLK_BLOCK;
        float *y = t->y + (img * t->c + c0) * t->hw;
        int64_t p = 0;
#if defined(__AVX512F__)
        for (; p < t->hw; p += DLK_BLOCK) {
            const int64_t np = t->hw - p < DLK_BLOCK ? t->hw - p : DLK_BLOCK;
            const __mmask16 m = dlk_lanes16(0, np);
            __m512 v[16];
            int i;
            for (i = 0; i < 16; i++)
                v[i] = i < np ? _mm512_loadu_ps(x + (p + i) * DLK_BLOCK) : _mm512_setzero_ps();
            dlk_transpose16(v);
            for (i = 0; i < nc; i++)
                _mm512_mask_storeu_ps(y + i * t->hw + p, m, v[i]);
        }
#endif
        for (; p < t->hw; p++)
            for (int64_t i = 0; i < nc; i++)
                y[i * t->hw + p] = x[p * DLK_BLOCK + i];
    }
}

/* x (N x ceil(C/16) x hw x 16) -> y (N x C x hw). */
static void dlk_from_blocked_f32(const dlk_par *par, int64_t n, int64_t c, int64_t hw, const float *x, float *y)
{
    dlk_reorder_job t = {x, y, c, hw, dlk_blocks16(c)};
    dlk_parallel_for(par, dlk_from_blocked_task, &t, n * t.cb);
}
/*@end*/

/*@ dlk_conv16_weights_f32 : dlk_blocked_sizes */
/* W (C_out x C_in x KH x KW) -> the direct kernel's order, zero-padded to
 * whole blocks: [C_out/16][C_in/16][KH][KW][16 input][16 output]. */
static void dlk_conv16_weights_f32(int64_t c_out, int64_t c_in, int64_t kh, int64_t kw, const float *w, float *out)
{
    const int64_t cbo = dlk_blocks16(c_out), cbi = dlk_blocks16(c_in);
    for (int64_t bo = 0; bo < cbo; bo++)
        for (int64_t bi = 0; bi < cbi; bi++)
            for (int64_t r = 0; r < kh; r++)
                for (int64_t s = 0; s < kw; s++)
                    for (int64_t i = 0; i < DLK_BLOCK; i++)
                        for (int64_t o = 0; o < DLK_BLOCK; o++) {
                            const int64_t co = bo * DLK_BLOCK + o, ci = bi * DLK_BLOCK + i;
                            *out++ = co < c_out && ci < c_in ? w[((co * c_in + ci) * kh + r) * kw + s] : 0.0f;
                        }
}
/*@end*/

/*@ dlk_conv16_body : dlk_conv_params dlk_blocked_sizes dlk_epilogue_f32 dlk_parallel dlk_lanes16 dlk_act16_avx512 */
/* Output tile: DLK_CONV16_NB channel blocks x DLK_CONV16_NP pixels of a row. */
#define DLK_CONV16_NB 2
#define DLK_CONV16_NP 14

typedef struct dlk_conv16_job {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r;
    const float *s;             /* C_in values: input channel c scaled by s[c]; or NULL */
    float *y;
    int64_t cbi, cbo, groups;   /* channel blocks in and out; groups of DLK_CONV16_NB output blocks */
    int64_t rows_per_item;      /* output rows a tile covers: 2 on outputs up to 7 wide, else 1 */
    int64_t rows;               /* items per image and group: output rows / rows_per_item */
    int pixels_outer;           /* item order: (image, row, group) rather than (image, group, row) */
} dlk_conv16_job;

/* The lanes past C_out of the finished run of np pixels of output block bo
 * at y back to zero (the epilogue may have made them anything). */
static void dlk_conv16_zero_tail(const dlk_conv16_job *t, int64_t bo, float *y, int64_t np)
{
    const int64_t rem = t->p->c_out - bo * DLK_BLOCK;
    if (rem < DLK_BLOCK)
        for (int64_t q = 0; q < np; q++)
            for (int64_t i = rem; i < DLK_BLOCK; i++)
                y[q * DLK_BLOCK + i] = 0.0f;
}

#if defined(__AVX512F__)
/* The output pixels ow in [0, ow_n) whose input column ow*s - pad + off
 * lies in [0, w): [*lo, *hi). */
static void dlk_conv16_valid(int64_t ow_n, int64_t s, int64_t pad, int64_t off, int64_t w, int64_t *lo, int64_t *hi)
{
    int64_t a = pad - off, b = w + pad - off;   /* ow*s in [a, b) */
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = b <= 0 ? 0 : (b + s - 1) / s;
    if (*hi > ow_n)
        *hi = ow_n;
    if (*lo > *hi)
        *lo = *hi;
}

#if defined(__GNUC__)
#define DLK_CONV16_INLINE static inline __attribute__((always_inline))
#else
#define DLK_CONV16_INLINE static inline
#endif
/* One tile: NB (1 or 2) output blocks from bo, ROWS (1 or 2) output rows
 * from oh of np pixels each from ow0, of image img; SW the stride along
 * the row. Unguarded: all ROWS rows, DLK_CONV16_NP / ROWS pixels each, and
 * every tap of every pixel inside the input. Guarded: fewer rows or
 * pixels, or taps in the padding (each tap then runs only on its valid
 * pixels). */
DLK_CONV16_INLINE void dlk_conv16_tile_avx512(const dlk_conv16_job *t, int64_t img, int64_t bo, int64_t oh,
                                              int64_t ow0, const int NB, const int64_t SW, const int ROWS,
                                              const int guarded, int nrows, int np, const float *pf,
                                              int64_t pk, int64_t pn)
{
    enum { C = DLK_CONV16_NP };
    const int cols = C / ROWS;
    const dlk_conv_params *p = t->p;
    const int64_t H = p->in[0], W = p->in[1], KH = p->kernel[0], KW = p->kernel[1];
    const int64_t sh = p->strides[0], dh = p->dilations[0], dw = p->dilations[1];
    const int64_t wblock = KH * KW * DLK_BLOCK * DLK_BLOCK, plane = p->out[0] * p->out[1] * DLK_BLOCK;
    const float *xi = t->x + img * t->cbi * H * W * DLK_BLOCK;
    const float *w0 = t->w + bo * t->cbi * wblock, *w1 = w0 + t->cbi * wblock;
    __m512 acc0[DLK_CONV16_NP], acc1[DLK_CONV16_NP];
    int q;
    {
        const __m512 b0 = t->b ? _mm512_loadu_ps(t->b + bo * DLK_BLOCK) : _mm512_setzero_ps();
        const __m512 b1 = t->b && NB > 1 ? _mm512_loadu_ps(t->b + (bo + 1) * DLK_BLOCK) : _mm512_setzero_ps();
        for (q = 0; q < C; q++) {
            acc0[q] = b0;
            acc1[q] = b1;
        }
    }
    for (int64_t bi = 0; bi < t->cbi; bi++)
        for (int64_t r = 0; r < KH; r++) {
            const int64_t ih0 = oh * sh - p->pads[0] + r * dh;
            const int64_t ih1 = ih0 + (ROWS > 1 ? sh : 0);
            const int row0 = !guarded || (ih0 >= 0 && ih0 < H), row1 = ROWS > 1 && (!guarded || (nrows > 1 && ih1 >= 0 && ih1 < H));
            if (!row0 && !row1)
                continue;
            for (int64_t s = 0; s < KW; s++) {
                const int64_t iw0 = ow0 * SW - p->pads[1] + s * dw;
                const float *xr0 = xi + ((bi * H + ih0) * W + iw0) * DLK_BLOCK;
                const float *xr1 = xr0 + (ih1 - ih0) * W * DLK_BLOCK;
                const float *wa = w0 + bi * wblock + (r * KW + s) * DLK_BLOCK * DLK_BLOCK;
                const float *wb = w1 + bi * wblock + (r * KW + s) * DLK_BLOCK * DLK_BLOCK;
                int64_t lo = 0, hi = np;
                if (pf != NULL && ((bi * KH + r) * KW + s) % pn == pk) {
                    const float *pa = pf + bi * wblock + (r * KW + s) * DLK_BLOCK * DLK_BLOCK;
                    for (int l = 0; l < DLK_BLOCK; l++) {
                        _mm_prefetch((const char *)(pa + l * DLK_BLOCK), _MM_HINT_T1);
                        _mm_prefetch((const char *)(pa + t->cbi * wblock + l * DLK_BLOCK), _MM_HINT_T1);
                    }
                }
                if (guarded) {
                    dlk_conv16_valid(ow0 + np, SW, p->pads[1], s * dw, W, &lo, &hi);
                    lo = lo > ow0 ? lo - ow0 : 0;
                    hi = hi > ow0 ? hi - ow0 : 0;
                }
                for (int j = 0; j < DLK_BLOCK; j++) {
                    __m512 va = _mm512_loadu_ps(wa + j * DLK_BLOCK);
                    __m512 vb = NB > 1 ? _mm512_loadu_ps(wb + j * DLK_BLOCK) : va;
                    if (t->s != NULL) {   /* the input's channel scale, on the weights */
                        const int64_t ci = bi * DLK_BLOCK + j;
                        const __m512 f = _mm512_set1_ps(ci < p->c_in ? t->s[ci] : 0.0f);
                        va = _mm512_mul_ps(va, f);
                        vb = _mm512_mul_ps(vb, f);
                    }
                    for (q = 0; q < C; q++) {
                        const int row = q / cols, col = q % cols;
                        if (guarded && (col < lo || col >= hi || (row == 0 ? !row0 : !row1)))
                            continue;
                        {
                            const float *xr = row == 0 ? xr0 : xr1;
                            const __m512 xv = _mm512_set1_ps(xr[col * SW * DLK_BLOCK + j]);
                            acc0[q] = _mm512_fmadd_ps(xv, va, acc0[q]);
                            if (NB > 1)
                                acc1[q] = _mm512_fmadd_ps(xv, vb, acc1[q]);
                        }
                    }
                }
            }
        }
    {
        /* the activations dlk_act16_avx512 applies (Relu, Clip, Sigmoid, SiLU) and a residual added
         * before them run in registers; other epilogues after the store */
        const dlk_epilogue *e = &p->ep;
        const int fast = dlk_act16_takes(e->act) && (t->r == NULL || e->residual == DLK_RES_BEFORE_ACT);
        for (int row = 0; row < ROWS && row < nrows; row++) {
            const int64_t at = img * t->cbo * plane + bo * plane + ((oh + row) * p->out[1] + ow0) * DLK_BLOCK;
            float *y0 = t->y + at, *y1 = y0 + plane;
            const float *r0 = t->r != NULL ? t->r + at : NULL, *r1 = r0 != NULL ? r0 + plane : NULL;
            for (q = 0; q < cols; q++) {
                __m512 v0 = acc0[row * cols + q], v1 = acc1[row * cols + q];
                if (guarded && q >= np)
                    break;
                if (fast && r0 != NULL) {
                    v0 = _mm512_add_ps(v0, _mm512_loadu_ps(r0 + q * DLK_BLOCK));
                    if (NB > 1)
                        v1 = _mm512_add_ps(v1, _mm512_loadu_ps(r1 + q * DLK_BLOCK));
                }
                _mm512_storeu_ps(y0 + q * DLK_BLOCK, fast ? dlk_act16_avx512(e, v0) : v0);
                if (NB > 1)
                    _mm512_storeu_ps(y1 + q * DLK_BLOCK, fast ? dlk_act16_avx512(e, v1) : v1);
            }
            if (!fast) {
                dlk_epilogue_f32(e, y0, r0, np * DLK_BLOCK);
                if (NB > 1)
                    dlk_epilogue_f32(e, y1, r1, np * DLK_BLOCK);
            }
            if (p->c_out < (bo + NB) * DLK_BLOCK)
                dlk_conv16_zero_tail(t, bo + NB - 1, NB > 1 ? y1 : y0, np);
        }
    }
}

/* The tile's copies: 1 or 2 blocks, stride 1 or 2, rows of 14 or pairs of
 * rows of 7, guarded or not. */
static void dlk_conv16_tile(const dlk_conv16_job *t, int64_t img, int64_t bo, int64_t oh, int64_t ow0, int nb,
                            int nrows, int np, int guarded, const float *pf, int64_t pk, int64_t pn)
{
#define DLK_CONV16_TILE(NB, SW, ROWS)                                                              \
    do {                                                                                            \
        if (guarded)                                                                                \
            dlk_conv16_tile_avx512(t, img, bo, oh, ow0, NB, SW, ROWS, 1, nrows, np, pf, pk, pn);            \
        else                                                                                        \
            dlk_conv16_tile_avx512(t, img, bo, oh, ow0, NB, SW, ROWS, 0, ROWS, DLK_CONV16_NP / ROWS, pf, pk, pn); \
    } while (0)
#define DLK_CONV16_ROWS(NB, SW)                                                                    \
    do {                                                                                            \
        if (t->rows_per_item == 2)                                                                  \
            DLK_CONV16_TILE(NB, SW, 2);                                                             \
        else                                                                                        \
            DLK_CONV16_TILE(NB, SW, 1);                                                             \
    } while (0)
    if (t->p->strides[1] == 1) {
        if (nb > 1)
            DLK_CONV16_ROWS(2, 1);
        else
            DLK_CONV16_ROWS(1, 1);
    } else {
        if (nb > 1)
            DLK_CONV16_ROWS(2, 2);
        else
            DLK_CONV16_ROWS(1, 2);
    }
#undef DLK_CONV16_ROWS
#undef DLK_CONV16_TILE
}
#endif

/* Portable: output block bo, pixels [ow0, ow0 + np) of row oh. */
static void dlk_conv16_tile_c(const dlk_conv16_job *t, int64_t img, int64_t bo, int64_t oh, int64_t ow0, int64_t np)
{
    const dlk_conv_params *p = t->p;
    const int64_t H = p->in[0], W = p->in[1], KH = p->kernel[0], KW = p->kernel[1];
    const int64_t wblock = KH * KW * DLK_BLOCK * DLK_BLOCK, plane = p->out[0] * p->out[1] * DLK_BLOCK;
    const int64_t at = img * t->cbo * plane + bo * plane + (oh * p->out[1] + ow0) * DLK_BLOCK;
    float *y = t->y + at;
    for (int64_t q = 0; q < np; q++) {
        float acc[DLK_BLOCK];
        for (int o = 0; o < DLK_BLOCK; o++)
            acc[o] = t->b ? t->b[bo * DLK_BLOCK + o] : 0.0f;
        for (int64_t bi = 0; bi < t->cbi; bi++)
            for (int64_t r = 0; r < KH; r++) {
                const int64_t ih = oh * p->strides[0] - p->pads[0] + r * p->dilations[0];
                if (ih < 0 || ih >= H)
                    continue;
                for (int64_t s = 0; s < KW; s++) {
                    const int64_t iw = (ow0 + q) * p->strides[1] - p->pads[1] + s * p->dilations[1];
                    const float *xv, *wv;
                    if (iw < 0 || iw >= W)
                        continue;
                    xv = t->x + (((img * t->cbi + bi) * H + ih) * W + iw) * DLK_BLOCK;
                    wv = t->w + bo * t->cbi * wblock + bi * wblock + (r * KW + s) * DLK_BLOCK * DLK_BLOCK;
                    for (int j = 0; j < DLK_BLOCK; j++) {
                        const int64_t ci = bi * DLK_BLOCK + j;
                        const float f = t->s == NULL ? 1.0f : ci < p->c_in ? t->s[ci] : 0.0f;
                        for (int o = 0; o < DLK_BLOCK; o++)
                            acc[o] += xv[j] * (wv[j * DLK_BLOCK + o] * f);
                    }
                }
            }
        for (int o = 0; o < DLK_BLOCK; o++)
            y[q * DLK_BLOCK + o] = acc[o];
    }
    if (p->ep.act != DLK_ACT_NONE || t->r != NULL)
        dlk_epilogue_f32(&p->ep, y, t->r ? t->r + at : NULL, np * DLK_BLOCK);
    dlk_conv16_zero_tail(t, bo, y, np);
}

/* Rows [oh, oh + rows_per_item) of group g of output blocks of image img,
 * in tiles of DLK_CONV16_NP / rows_per_item pixels. */
static void dlk_conv16_rows(const dlk_conv16_job *t, int64_t img, int64_t g, int64_t oh)
{
    const dlk_conv_params *p = t->p;
    const int64_t bo = g * DLK_CONV16_NB, ow_n = p->out[1];
    const int64_t nb = t->cbo - bo < DLK_CONV16_NB ? t->cbo - bo : DLK_CONV16_NB;
    const int64_t nrows = p->out[0] - oh < t->rows_per_item ? p->out[0] - oh : t->rows_per_item;
#if defined(__AVX512F__)
    const int64_t cols = DLK_CONV16_NP / t->rows_per_item;
    /* rows and columns whose every tap is inside the input */
    int64_t in_lo = 0, in_hi = ow_n, row_lo = 0, row_hi = p->out[0], lo, hi;
    for (int64_t s = 0; s < p->kernel[1]; s++) {
        dlk_conv16_valid(ow_n, p->strides[1], p->pads[1], s * p->dilations[1], p->in[1], &lo, &hi);
        in_lo = lo > in_lo ? lo : in_lo;
        in_hi = hi < in_hi ? hi : in_hi;
    }
    for (int64_t r = 0; r < p->kernel[0]; r++) {
        dlk_conv16_valid(p->out[0], p->strides[0], p->pads[0], r * p->dilations[0], p->in[0], &lo, &hi);
        row_lo = lo > row_lo ? lo : row_lo;
        row_hi = hi < row_hi ? hi : row_hi;
    }
    /* The weights come from memory once per run: while a group runs its
     * tiles, they bring the next group's into L2, tile k of pn the slices
     * (input block, tap) k, k + pn, ... (all its tiles, groups outer; the
     * first row's, rows outer, as the rest find them in cache). The last
     * group of a thread's share asks for one it may not run: harmless. */
    const int64_t per_row = (ow_n + cols - 1) / cols, item = oh / t->rows_per_item;
    const int64_t pn = t->pixels_outer ? per_row : t->rows * per_row;
    const float *next = bo + DLK_CONV16_NB < t->cbo && (!t->pixels_outer || oh == 0)
                            ? t->w + (bo + DLK_CONV16_NB) * t->cbi * p->kernel[0] * p->kernel[1] * DLK_BLOCK * DLK_BLOCK
                            : NULL;
    if (p->strides[1] <= 2)
        for (int64_t ow0 = 0; ow0 < ow_n; ow0 += cols) {
            const int np = (int)(ow_n - ow0 < cols ? ow_n - ow0 : cols);
            dlk_conv16_tile(t, img, bo, oh, ow0, (int)nb, (int)nrows, np,
                            np < cols || nrows < t->rows_per_item || ow0 < in_lo || ow0 + np > in_hi ||
                                oh < row_lo || oh + nrows > row_hi,
                            next, (t->pixels_outer ? 0 : item * per_row) + ow0 / cols, pn);
        }
    else
#endif
        for (int64_t row = oh; row < oh + nrows; row++)
            for (int64_t b = bo; b < bo + nb; b++)
                dlk_conv16_tile_c(t, img, b, row, 0, ow_n);
}

static void dlk_conv16_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv16_job *t = arg;
    for (int64_t item = begin; item < end; item++) {
        const int64_t img = item / (t->groups * t->rows), rest = item % (t->groups * t->rows);
        if (t->pixels_outer)
            dlk_conv16_rows(t, img, rest % t->groups, rest / t->groups * t->rows_per_item);
        else
            dlk_conv16_rows(t, img, rest / t->rows, rest % t->rows * t->rows_per_item);
    }
}

/* A 2-D convolution with group 1 in NCHW16c: x (N x C_in/16 x H x W x 16),
 * w reordered by dlk_conv16_weights_f32, b (C_out rounded up to 16, zero
 * past C_out; may be NULL), r (the epilogue's residual, y's layout; may be
 * NULL), y (N x C_out/16 x OH x OW x 16). Items are rows of a group of
 * output blocks; they run group by group when the weights outweigh the
 * input (each group's weights stay in cache while it sweeps the input),
 * else row by row (each row's input stays while the weights go by). */
static void dlk_conv16_run(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                           const float *b, const float *r, const float *s, float *y)
{
    dlk_conv16_job t;
    dlk_conv_params flat;
    const int64_t cbi = dlk_blocks16(p->c_in), cbo = dlk_blocks16(p->c_out);
    const int64_t wbytes = cbo * cbi * p->kernel[0] * p->kernel[1] * DLK_BLOCK * DLK_BLOCK;
    const int threads = par != NULL && par->threads > 1 ? par->threads : 1;
    const int64_t groups = (cbo + DLK_CONV16_NB - 1) / DLK_CONV16_NB;
    if (p->kernel[0] == 1 && p->kernel[1] == 1 && p->strides[0] == 1 && p->strides[1] == 1 &&
        p->pads[0] == 0 && p->pads[1] == 0 && p->pads[2] == 0 && p->pads[3] == 0 &&
        (threads == 1 || groups >= 4 * threads || (p->in[1] > DLK_CONV16_NP / 2 && p->in[1] % DLK_CONV16_NP != 0))) {
        /* pointwise: the plane is one row, cut in whole tiles; but rows of
         * whole tiles (or pairs of rows up to 7 wide) stay rows when there
         * are few groups of output blocks for the threads (MobileNetV2's
         * 960 -> 160 on 7 x 7: 5 items for 2 threads, 20 as row pairs) */
        flat = *p;
        flat.in[0] = flat.out[0] = 1;
        flat.in[1] = flat.out[1] = p->in[0] * p->in[1];
        p = &flat;
    }
    t.p = p;
    t.x = x;
    t.w = w;
    t.b = b;
    t.r = r;
    t.s = s;
    t.y = y;
    t.cbi = cbi;
    t.cbo = cbo;
    t.groups = groups;
    t.rows_per_item = p->out[1] <= DLK_CONV16_NP / 2 ? 2 : 1;
    t.rows = (p->out[0] + t.rows_per_item - 1) / t.rows_per_item;
    t.pixels_outer = wbytes <= cbi * p->in[0] * p->in[1] * DLK_BLOCK;
    dlk_parallel_for(par, dlk_conv16_task, &t, p->n * t.groups * t.rows);
}
/*@end*/

/*@ dlk_conv16_f32 : dlk_conv16_body */
static void dlk_conv16_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                           const float *b, const float *r, float *y)
{
    dlk_conv16_run(par, p, x, w, b, r, NULL, y);
}
/*@end*/

/*@ dlk_conv16_scaled_f32 : dlk_conv16_body */
/* The same with input channel c scaled by s[c] (C_in values, the same for
 * every image): a squeeze-excitation's channel scale taken by the conv
 * after it (passes/bn_fold.c, conv-prologue), here applied to the weights
 * as each tile loads them, so the scaled input is never written out. */
static void dlk_conv16_scaled_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                                  const float *b, const float *r, const float *s, float *y)
{
    dlk_conv16_run(par, p, x, w, b, r, s, y);
}
/*@end*/

/*@ dlk_dw16_weights_f32 : dlk_blocked_sizes */
/* A depthwise conv's W (C x 1 x KH x KW) -> the blocked kernel's order,
 * zero-padded to whole blocks: [C/16][KH][KW][16]. */
static void dlk_dw16_weights_f32(int64_t c, int64_t kh, int64_t kw, const float *w, float *out)
{
    for (int64_t b = 0; b < dlk_blocks16(c); b++)
        for (int64_t t = 0; t < kh * kw; t++)
            for (int64_t i = 0; i < DLK_BLOCK; i++)
                *out++ = b * DLK_BLOCK + i < c ? w[(b * DLK_BLOCK + i) * kh * kw + t] : 0.0f;
}
/*@end*/

/*@ dlk_dw16_body : dlk_conv_params dlk_blocked_sizes dlk_epilogue_f32 dlk_parallel dlk_act16_avx512 dlk_relu_clip_avx512 */
/* A 2-D depthwise convolution (group = C_in = C_out) in NCHW16c: one
 * block's 16 channels are one vector, so each tap of each output pixel is
 * one FMA of an input pixel's vector with the tap's 16 weights, whatever
 * the plane's width, stride or padding. The input rows a run of output
 * rows reads are first copied into a zero-padded stack buffer, so tiles of
 * DLK_DW16_NP output pixels read their taps with no bounds checks. The
 * activation (one dlk_act16_avx512 applies) and a residual run on the sums
 * in registers; other epilogues over the stored row. */
#ifndef DLK_DW16_NP
#define DLK_DW16_NP 14
#endif
/* Floats of the padded rows (32 KB of stack; a product with small thread
 * stacks may lower it); planes whose KH-row window does not fit run the
 * portable loop. */
#ifndef DLK_DW16_BUF
#define DLK_DW16_BUF 8192
#endif

typedef struct dlk_dw16_job {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r;
    float *y, *mean;     /* mean: N x C, each output plane's mean, or NULL */
    int64_t cb, parts;   /* channel blocks; parts of each plane's rows */
} dlk_dw16_job;

#if defined(__AVX512F__)
/* Pixels of a padded row: the left pad, the row, and what the last tile's
 * taps reach past it. */
static int64_t dlk_dw16_row_len(const dlk_conv_params *p)
{
    const int64_t tiles = (p->out[1] + DLK_DW16_NP - 1) / DLK_DW16_NP;
    const int64_t reach = (tiles * DLK_DW16_NP - 1) * p->strides[1] + (p->kernel[1] - 1) * p->dilations[1] + 1;
    return reach > p->pads[1] + p->in[1] ? reach : p->pads[1] + p->in[1];
}

/* Whether the tiles run p (else the portable loop): a 2-D window of at most
 * 25 taps whose rows fit the buffer. */
static int dlk_dw16_fits(const dlk_conv_params *p)
{
    return p->kernel[0] * p->kernel[1] <= 25 &&
           ((p->kernel[0] - 1) * p->dilations[0] + 1) * dlk_dw16_row_len(p) * DLK_BLOCK <= DLK_DW16_BUF;
}

#if defined(__GNUC__)
#define DLK_DW16_INLINE static inline __attribute__((always_inline))
#else
#define DLK_DW16_INLINE static inline
#endif
/* The sums of NP output pixels from ow0 of one output row: row r of the
 * taps reads padded row x + r * rstride (column 0: the left pad's first). */
DLK_DW16_INLINE void dlk_dw16_tile_avx512(const float *x, int64_t rstride, const float *w, __m512 bias, int64_t ow0,
                                          __m512 *acc, const int KH, const int KW, const int SW, const int DH,
                                          const int DW)
{
    enum { NP = DLK_DW16_NP };
    int q, r, s;
    for (q = 0; q < NP; q++)
        acc[q] = bias;
    for (r = 0; r < KH; r++) {
        const float *xr = x + r * DH * rstride + ow0 * SW * DLK_BLOCK;
        for (s = 0; s < KW; s++) {
            const __m512 wv = _mm512_loadu_ps(w + (r * KW + s) * DLK_BLOCK);
            for (q = 0; q < NP; q++)
                acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(xr + (q * SW + s * DW) * DLK_BLOCK), wv, acc[q]);
        }
    }
}

/* The same for two output rows of NP / 2 pixels each (planes up to NP / 2
 * wide): the first reads from x0, the second from x1; acc[0 .. NP/2) and
 * acc[NP/2 .. NP). */
DLK_DW16_INLINE void dlk_dw16_pair_avx512(const float *x0, const float *x1, int64_t rstride, const float *w,
                                          __m512 bias, __m512 *acc, const int KH, const int KW, const int SW,
                                          const int DH, const int DW)
{
    enum { C = DLK_DW16_NP / 2 };
    int q, r, s;
    for (q = 0; q < 2 * C; q++)
        acc[q] = bias;
    for (r = 0; r < KH; r++) {
        const float *xa = x0 + r * DH * rstride, *xb = x1 + r * DH * rstride;
        for (s = 0; s < KW; s++) {
            const __m512 wv = _mm512_loadu_ps(w + (r * KW + s) * DLK_BLOCK);
            for (q = 0; q < C; q++) {
                acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(xa + (q * SW + s * DW) * DLK_BLOCK), wv, acc[q]);
                acc[C + q] = _mm512_fmadd_ps(_mm512_loadu_ps(xb + (q * SW + s * DW) * DLK_BLOCK), wv, acc[C + q]);
            }
        }
    }
}

/* np (<= NP: a constant, the sums acc holds) sums of acc to y from pixel
 * ow0 (res: the residual's row, or NULL), through e's activation when
 * dlk_act16_avx512 applies it; inlined into the tile's caller, so the sums
 * stay in registers. */
DLK_DW16_INLINE void dlk_dw16_store_avx512(const dlk_epilogue *e, const __m512 *acc, int np, int64_t ow0, float *y,
                                           const float *res, const int NP)
{
    int q;
    y += ow0 * DLK_BLOCK;
    res = res != NULL ? res + ow0 * DLK_BLOCK : NULL;
    if (res == NULL && (e->act == DLK_ACT_NONE || e->act == DLK_ACT_RELU || e->act == DLK_ACT_CLIP)) {
        /* dlk_relu_clip_avx512's operations with the choice made once: gcc left that helper's
         * branches in the loop (384 x 14 x 14: 0.60 -> 0.70 of depthwise.h's time) */
        const __m512 lo = _mm512_set1_ps(e->act == DLK_ACT_CLIP ? e->alpha : 0.0f);
        const __m512 hi = _mm512_set1_ps(e->beta);
        if (e->act == DLK_ACT_CLIP) {
            for (q = 0; q < NP; q++)
                if (q < np)
                    _mm512_storeu_ps(y + q * DLK_BLOCK, _mm512_min_ps(hi, _mm512_max_ps(lo, acc[q])));
        } else
            for (q = 0; q < NP; q++)
                if (q < np)
                    _mm512_storeu_ps(y + q * DLK_BLOCK, e->act == DLK_ACT_RELU ? _mm512_max_ps(acc[q], lo) : acc[q]);
        return;
    }
    for (q = 0; q < np; q++) {
        __m512 v = acc[q];
        if (res != NULL && e->residual != DLK_RES_AFTER_ACT)
            v = _mm512_add_ps(v, _mm512_loadu_ps(res + q * DLK_BLOCK));
        v = dlk_act16_avx512(e, v);
        if (res != NULL && e->residual == DLK_RES_AFTER_ACT)
            v = _mm512_add_ps(v, _mm512_loadu_ps(res + q * DLK_BLOCK));
        _mm512_storeu_ps(y + q * DLK_BLOCK, v);
    }
}

/* TILE(args..., KH, KW, SW, DH, DW) with the window's sizes as constants
 * for 3x3 and 5x5 windows of stride 1 or 2 without dilation (the compiler
 * then unrolls the taps), else as they are. */
#define DLK_DW16_SHAPES(TILE, ...)                                                                  \
    do {                                                                                            \
        if (KH == 3 && KW == 3 && SW == 1 && DH == 1 && DW == 1)                                    \
            TILE(__VA_ARGS__, 3, 3, 1, 1, 1);                                                       \
        else if (KH == 3 && KW == 3 && SW == 2 && DH == 1 && DW == 1)                               \
            TILE(__VA_ARGS__, 3, 3, 2, 1, 1);                                                       \
        else if (KH == 5 && KW == 5 && SW == 1 && DH == 1 && DW == 1)                               \
            TILE(__VA_ARGS__, 5, 5, 1, 1, 1);                                                       \
        else if (KH == 5 && KW == 5 && SW == 2 && DH == 1 && DW == 1)                               \
            TILE(__VA_ARGS__, 5, 5, 2, 1, 1);                                                       \
        else                                                                                        \
            TILE(__VA_ARGS__, (int)KH, (int)KW, (int)SW, (int)DH, (int)DW);                         \
    } while (0)

/* Output rows [oh0, oh1) of block blk of image img, a run of rows at a
 * time: the run's input rows copied padded into buf, then tiles. */
static void dlk_dw16_rows_avx512(const dlk_dw16_job *t, int64_t img, int64_t blk, int64_t oh0, int64_t oh1)
{
    const dlk_conv_params *p = t->p;
    const int64_t H = p->in[0], W = p->in[1], OW = p->out[1], KH = p->kernel[0], KW = p->kernel[1];
    const int64_t SH = p->strides[0], SW = p->strides[1], DH = p->dilations[0], DW = p->dilations[1];
    const int64_t len = dlk_dw16_row_len(p), pl = p->pads[1], rstride = len * DLK_BLOCK;
    const int64_t span = (KH - 1) * DH + 1, cap = DLK_DW16_BUF / rstride;   /* padded rows the buffer holds */
    const int64_t run = span + SH > cap ? 1 : (cap - span) / SH + 1;        /* output rows per run */
    const int64_t item = img * t->cb + blk, plane = p->out[0] * OW * DLK_BLOCK;
    const float *x = t->x + item * H * W * DLK_BLOCK, *w = t->w + blk * KH * KW * DLK_BLOCK;
    const __m512 bias = t->b != NULL ? _mm512_loadu_ps(t->b + blk * DLK_BLOCK) : _mm512_setzero_ps();
    const dlk_epilogue *e = &p->ep;
    const int in_regs = dlk_act16_takes(e->act), pairs = OW <= DLK_DW16_NP / 2;
    const dlk_epilogue none = {0}, *se = in_regs ? e : &none;   /* what the stores apply; the rest after them */
    float buf[DLK_DW16_BUF];
    int64_t r0, oh, ih;
    for (r0 = oh0; r0 < oh1; r0 += run) {
        const int64_t r1 = r0 + run < oh1 ? r0 + run : oh1, ih0 = r0 * SH - p->pads[0];
        const int64_t ih1 = (r1 - 1) * SH - p->pads[0] + span;
        for (ih = ih0; ih < ih1; ih++) {   /* the run's input rows, zeros around them */
            float *row = buf + (ih - ih0) * rstride;
            memset(row, 0, sizeof(float) * (size_t)(pl * DLK_BLOCK));
            if (ih >= 0 && ih < H)
                memcpy(row + pl * DLK_BLOCK, x + ih * W * DLK_BLOCK, sizeof(float) * (size_t)(W * DLK_BLOCK));
            else
                memset(row + pl * DLK_BLOCK, 0, sizeof(float) * (size_t)(W * DLK_BLOCK));
            memset(row + (pl + W) * DLK_BLOCK, 0, sizeof(float) * (size_t)((len - pl - W) * DLK_BLOCK));
        }
        for (oh = r0; pairs && oh < r1; oh += 2) {   /* two rows a tile */
            const int two = oh + 1 < r1;
            const float *xr = buf + (oh - r0) * SH * rstride, *xr1 = two ? xr + SH * rstride : xr;
            float *y = t->y + item * plane + oh * OW * DLK_BLOCK;
            const float *res = t->r != NULL ? t->r + item * plane + oh * OW * DLK_BLOCK : NULL;
            const float *sres = in_regs ? res : NULL;
            __m512 acc[DLK_DW16_NP];
            DLK_DW16_SHAPES(dlk_dw16_pair_avx512, xr, xr1, rstride, w, bias, acc);
            dlk_dw16_store_avx512(se, acc, (int)OW, 0, y, sres, DLK_DW16_NP / 2);
            if (two)
                dlk_dw16_store_avx512(se, acc + DLK_DW16_NP / 2, (int)OW, 0, y + OW * DLK_BLOCK,
                                      sres != NULL ? sres + OW * DLK_BLOCK : NULL, DLK_DW16_NP / 2);
            if (!in_regs)
                dlk_epilogue_f32(e, y, res, (two ? 2 : 1) * OW * DLK_BLOCK);
        }
        for (oh = r0; !pairs && oh < r1; oh++) {
            const float *xr = buf + (oh - r0) * SH * rstride;
            float *y = t->y + item * plane + oh * OW * DLK_BLOCK;
            const float *res = t->r != NULL ? t->r + item * plane + oh * OW * DLK_BLOCK : NULL;
            int64_t ow0;
            for (ow0 = 0; ow0 < OW; ow0 += DLK_DW16_NP) {
                const int np = (int)(OW - ow0 < DLK_DW16_NP ? OW - ow0 : DLK_DW16_NP);
                __m512 acc[DLK_DW16_NP];
                DLK_DW16_SHAPES(dlk_dw16_tile_avx512, xr, rstride, w, bias, ow0, acc);
                dlk_dw16_store_avx512(se, acc, np, ow0, y, in_regs ? res : NULL, DLK_DW16_NP);
            }
            if (!in_regs)
                dlk_epilogue_f32(e, y, res, OW * DLK_BLOCK);
        }
    }
}
#undef DLK_DW16_SHAPES
#endif

/* Portable: output rows [oh0, oh1) of block blk of image img, tap by tap. */
static void dlk_dw16_rows_c(const dlk_dw16_job *t, int64_t img, int64_t blk, int64_t oh0, int64_t oh1)
{
    const dlk_conv_params *p = t->p;
    const int64_t H = p->in[0], W = p->in[1], OW = p->out[1], KH = p->kernel[0], KW = p->kernel[1];
    const int64_t item = img * t->cb + blk, plane = p->out[0] * OW * DLK_BLOCK;
    const float *x = t->x + item * H * W * DLK_BLOCK, *w = t->w + blk * KH * KW * DLK_BLOCK;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *y = t->y + item * plane + oh * OW * DLK_BLOCK;
        for (int64_t ow = 0; ow < OW; ow++) {
            float acc[DLK_BLOCK];
            for (int i = 0; i < DLK_BLOCK; i++)
                acc[i] = t->b != NULL ? t->b[blk * DLK_BLOCK + i] : 0.0f;
            for (int64_t r = 0; r < KH; r++) {
                const int64_t ih = oh * p->strides[0] - p->pads[0] + r * p->dilations[0];
                if (ih < 0 || ih >= H)
                    continue;
                for (int64_t s = 0; s < KW; s++) {
                    const int64_t iw = ow * p->strides[1] - p->pads[1] + s * p->dilations[1];
                    if (iw < 0 || iw >= W)
                        continue;
                    for (int i = 0; i < DLK_BLOCK; i++)
                        acc[i] += x[(ih * W + iw) * DLK_BLOCK + i] * w[(r * KW + s) * DLK_BLOCK + i];
                }
            }
            for (int i = 0; i < DLK_BLOCK; i++)
                y[ow * DLK_BLOCK + i] = acc[i];
        }
        dlk_epilogue_f32(&p->ep, y, t->r != NULL ? t->r + item * plane + oh * OW * DLK_BLOCK : NULL, OW * DLK_BLOCK);
    }
}

/* Items: (image, block, part of the rows). */
static void dlk_dw16_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_dw16_job *t = arg;
    const dlk_conv_params *p = t->p;
    for (int64_t item = begin; item < end; item++) {
        const int64_t part = item % t->parts, ib = item / t->parts;
        const int64_t oh0 = part * p->out[0] / t->parts, oh1 = (part + 1) * p->out[0] / t->parts;
        float *y = t->y + ib * p->out[0] * p->out[1] * DLK_BLOCK;
#if defined(__AVX512F__)
        if (dlk_dw16_fits(p))
            dlk_dw16_rows_avx512(t, ib / t->cb, ib % t->cb, oh0, oh1);
        else
#endif
            dlk_dw16_rows_c(t, ib / t->cb, ib % t->cb, oh0, oh1);
        if (p->c_out < (ib % t->cb + 1) * DLK_BLOCK)   /* the lanes past C back to zero */
            for (int64_t q = oh0 * p->out[1]; q < oh1 * p->out[1]; q++)
                for (int64_t i = p->c_out - ib % t->cb * DLK_BLOCK; i < DLK_BLOCK; i++)
                    y[q * DLK_BLOCK + i] = 0.0f;
        if (t->mean != NULL) {   /* whole planes (parts 1): the block's means while the plane is in cache */
            const int64_t pixels = p->out[0] * p->out[1], c0 = ib % t->cb * DLK_BLOCK;
            double sum[DLK_BLOCK] = {0};
            for (int64_t q = 0; q < pixels; q++)
                for (int i = 0; i < DLK_BLOCK; i++)
                    sum[i] += y[q * DLK_BLOCK + i];
            for (int i = 0; i < DLK_BLOCK && c0 + i < p->c_out; i++)
                t->mean[ib / t->cb * p->c_out + c0 + i] = (float)(sum[i] / (double)pixels);
        }
    }
}

/* A 2-D depthwise conv in NCHW16c: x (N x C/16 x H x W x 16), w reordered
 * by dlk_dw16_weights_f32, b (C rounded up to 16, zero past C; may be
 * NULL), r (the epilogue's residual, y's layout; may be NULL), y (N x C/16
 * x OH x OW x 16). Threads take (image, block) items, or parts of their
 * rows when there are fewer items than threads x 4. */
static void dlk_dw16_run(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                         const float *b, const float *r, float *y, float *mean)
{
    const int threads = par != NULL && par->threads > 1 ? par->threads : 1;
    dlk_dw16_job t = {p, x, w, b, r, y, mean, dlk_blocks16(p->c_out), 1};
    while (mean == NULL && p->n * t.cb * t.parts < threads * 4 && t.parts * 2 <= p->out[0])
        t.parts *= 2;
    dlk_parallel_for(par, dlk_dw16_task, &t, p->n * t.cb * t.parts);
}
/*@end*/

/*@ dlk_dw16_f32 : dlk_dw16_body */
static void dlk_dw16_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                         const float *b, const float *r, float *y)
{
    dlk_dw16_run(par, p, x, w, b, r, y, NULL);
}
/*@end*/

/*@ dlk_dw16_mean_f32 : dlk_dw16_body */
/* The same, and mean (N x C) = each output plane's mean (a GlobalAveragePool
 * of y, squeeze-excitation's, fused by passes/fuse_epilogue.c, fuse-mean),
 * summed in double while the block's plane is in cache; each item then
 * takes whole planes. */
static void dlk_dw16_mean_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                              const float *b, const float *r, float *y, float *mean)
{
    dlk_dw16_run(par, p, x, w, b, r, y, mean);
}
/*@end*/

#endif
