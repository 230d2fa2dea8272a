/* A pointwise conv whose output only a GlobalAveragePool reads (passes/
 * fuse_epilogue.c, fuse-mean: SqueezeNet's 512 -> 1000 classifier on 13x13
 * and its Relu): each output channel's mean of act(W x + b) over the
 * pixels, the conv's output never written.
 *
 * The packed product (dlk_conv_gemm_f32) puts pixels along its vectors:
 * SqueezeNet's 169 pixels are 5 panels of 32 and one of 9 that costs a
 * full 16-column panel's time (10 % of the node). Here the vectors hold 16
 * output channels: a tile keeps 2 blocks of 16 channels x 14 pixels in 28
 * registers while k runs over the input channels (2 weight loads and 14
 * broadcasts per 28 multiply-adds, as the conv tiles of conv_tiles.h, whose
 * weight order it shares: blocks of 16 output channels), applies the
 * activation in registers and adds the tile's pixels into two running
 * sums; a last block of fewer than 16 channels reads its shorter rows of
 * weights as whole vectors (the lanes past them never stored), the very
 * last row masked (1000 channels: 8 of 1008 lanes idle). Threads split the
 * pairs of blocks. SqueezeNet's classifier with its Relu and pool, one
 * thread: 0.734-0.740 -> 0.689-0.697 ms (0.64-0.67 hot, 260 GFLOP/s).
 * Without AVX-512, plain loops pixel by pixel. */
#ifndef DLK_CONV_MEAN_H
#define DLK_CONV_MEAN_H

#include "common.h"
#include "conv.h"
#include "conv_tiles.h"
#include "epilogue.h"
#include "parallel.h"

/* Outside any section (the compiler's: generated code never calls it): */
/* Whether dlk_conv_mean_f32 takes p: a 2-D pointwise conv of group 1 (1x1,
 * stride 1, no padding), no residual, an activation dlk_act16_avx512
 * applies. */
static int dlk_conv_mean_fits(const dlk_conv_params *p)
{
    return p->rank == 2 && p->group == 1 && p->shuffle == 0 && p->kernel[0] == 1 && p->kernel[1] == 1 &&
           p->strides[0] == 1 && p->strides[1] == 1 && p->pads[0] == 0 && p->pads[1] == 0 && p->pads[2] == 0 &&
           p->pads[3] == 0 && p->ep.residual == DLK_RES_NONE && dlk_act16_takes(p->ep.act) && p->out[0] >= 1 &&
           p->out[1] >= 1;
}

/*@ dlk_conv_mean_f32 : dlk_conv_tiles_defs dlk_parallel dlk_lanes16 dlk_epilogue_f32 dlk_act16_avx512 */
typedef struct dlk_conv_mean_job {
    const dlk_conv_params *p;
    const float *x, *wt, *b;
    float *y;
    int64_t pairs;   /* pairs of blocks of 16 output channels per image */
} dlk_conv_mean_job;

#if defined(__AVX512F__)
/* One input channel's step of a tile: R pixels' values at x times two
 * blocks' weights. */
static DLK_INLINE void dlk_conv_mean_step(__m512 *acc, const float *x, __m512 wa, __m512 wb, const int R)
{
    int i;
    for (i = 0; i < R; i++) {
        const __m512 v = _mm512_set1_ps(x[i]);
        acc[i] = _mm512_fmadd_ps(wa, v, acc[i]);
        acc[DLK_CONV_TILES_PX + i] = _mm512_fmadd_ps(wb, v, acc[DLK_CONV_TILES_PX + i]);
    }
}

/* The sums over R pixels from x (k-th input channel at x + k hw) of two
 * blocks of output channels whose weights for input channel k are at
 * w0 + k s0 and w1 + k s1 (PART: rows of fewer than 16 channels in one or
 * both, m0 and m1 their lanes; else whole blocks, s0 = s1 = 16), after the
 * bias and the activation, added to s[0] and s[1]. */
static DLK_INLINE void dlk_conv_mean_tile(const dlk_conv_mean_job *j, const float *x, const float *w0,
                                          const float *w1, int64_t s0, int64_t s1, __mmask16 m0, __mmask16 m1,
                                          __m512 b0, __m512 b1, const int R, const int PART, __m512 *s)
{
    const dlk_conv_params *p = j->p;
    const int64_t hw = p->in[0] * p->in[1];
    __m512 acc[2 * DLK_CONV_TILES_PX];
    int64_t k;
    int i;
    for (i = 0; i < R; i++) {
        acc[i] = b0;
        acc[DLK_CONV_TILES_PX + i] = b1;
    }
    /* PART: whole vectors from rows of s0 or s1 < 16 floats, the lanes
     * past the row another row's weights (never stored); the last row's
     * loads masked, so nothing past wt is read */
    for (k = 0; k < p->c_in - PART; k++, x += hw, w0 += PART ? s0 : 16, w1 += PART ? s1 : 16)
        dlk_conv_mean_step(acc, x, _mm512_loadu_ps(w0), _mm512_loadu_ps(w1), R);
    if (PART)
        dlk_conv_mean_step(acc, x, _mm512_maskz_loadu_ps(m0, w0), _mm512_maskz_loadu_ps(m1, w1), R);
    for (i = 0; i < R; i++) {
        s[0] = _mm512_add_ps(s[0], dlk_act16_avx512(&p->ep, acc[i]));
        s[1] = _mm512_add_ps(s[1], dlk_act16_avx512(&p->ep, acc[DLK_CONV_TILES_PX + i]));
    }
}

/* All the pixels of one image for a pair of blocks: tiles of
 * DLK_CONV_TILES_PX, then the last r < DLK_CONV_TILES_PX (a constant in
 * each case, so the sums stay in registers). Before each tile, a share of
 * the next pair's weights (pf, pn floats; NULL: none) is asked into L2: in
 * a model they come from memory once per run (MobileNetV2's 320 -> 1280 on
 * 7x7: 0.156 ms alone, 0.234 in the model without it). */
static DLK_INLINE void dlk_conv_mean_pixels(const dlk_conv_mean_job *j, const float *x, const float *w0,
                                            const float *w1, int64_t s0, int64_t s1, __mmask16 m0, __mmask16 m1,
                                            __m512 b0, __m512 b1, const int PART, const float *pf, int64_t pn,
                                            __m512 *s)
{
    const int64_t hw = j->p->in[0] * j->p->in[1], tiles = hw / DLK_CONV_TILES_PX + 1;
    const int64_t share = (pn + tiles * 16 - 1) / (tiles * 16) * 16;   /* floats, whole lines */
    int64_t p0, at = 0, f;
    for (p0 = 0; p0 + DLK_CONV_TILES_PX <= hw; p0 += DLK_CONV_TILES_PX, at += share) {
        for (f = at; f < at + share && f < pn; f += 16)
            _mm_prefetch((const char *)(pf + f), _MM_HINT_T1);
        dlk_conv_mean_tile(j, x + p0, w0, w1, s0, s1, m0, m1, b0, b1, DLK_CONV_TILES_PX, PART, s);
    }
    for (f = at; f < pn; f += 16)
        _mm_prefetch((const char *)(pf + f), _MM_HINT_T1);
    switch ((int)(hw - p0)) {
#define DLK_CONV_MEAN_CASE(R)                                                  \
    case R:                                                                    \
        dlk_conv_mean_tile(j, x + p0, w0, w1, s0, s1, m0, m1, b0, b1, R, PART, s); \
        break;
        DLK_CONV_MEAN_CASE(1)
        DLK_CONV_MEAN_CASE(2)
        DLK_CONV_MEAN_CASE(3)
        DLK_CONV_MEAN_CASE(4)
        DLK_CONV_MEAN_CASE(5)
        DLK_CONV_MEAN_CASE(6)
        DLK_CONV_MEAN_CASE(7)
        DLK_CONV_MEAN_CASE(8)
        DLK_CONV_MEAN_CASE(9)
        DLK_CONV_MEAN_CASE(10)
        DLK_CONV_MEAN_CASE(11)
        DLK_CONV_MEAN_CASE(12)
        DLK_CONV_MEAN_CASE(13)
#undef DLK_CONV_MEAN_CASE
    default:
        break;
    }
}
#endif

/* Items [begin, end): (image, pair of blocks of output channels). Block b
 * of the weights starts at 16 k b; its rows are 16 floats, or c_out % 16
 * for a last partial block (dlk_conv_tiles_weights_f32). */
static void dlk_conv_mean_task(void *arg, int64_t begin, int64_t end)
{
    const dlk_conv_mean_job *j = (const dlk_conv_mean_job *)arg;
    const dlk_conv_params *p = j->p;
    const int64_t hw = p->in[0] * p->in[1], k = p->c_in, blocks = (p->c_out + 15) / 16;
    const float scale = 1.0f / (float)hw;
    int64_t item;
    for (item = begin; item < end; item++) {
        const int64_t img = item / j->pairs, b = 2 * (item % j->pairs), nb = blocks - b < 2 ? blocks - b : 2;
        const int64_t nc = p->c_out - b * 16 < 32 ? p->c_out - b * 16 : 32;   /* channels of the pair */
        const int64_t s0 = nc < 16 ? nc : 16, s1 = nc > 16 ? nc - 16 : s0;   /* their weights' rows */
        const float *x = j->x + img * k * hw, *w0 = j->wt + b * k * 16, *w1 = nb > 1 ? w0 + k * 16 : w0;
        float *y = j->y + img * p->c_out + b * 16;
#if defined(__AVX512F__)
        const __mmask16 m0 = dlk_lanes16(0, nc), m1 = nb > 1 ? dlk_lanes16(16, nc) : m0;
        const __m512 b0 = j->b != NULL ? _mm512_maskz_loadu_ps(m0, j->b + b * 16) : _mm512_setzero_ps();
        const __m512 b1 = j->b != NULL && nb > 1 ? _mm512_maskz_loadu_ps(m1, j->b + b * 16 + 16) : b0;
        __m512 s[2];
        s[0] = s[1] = _mm512_setzero_ps();
        /* the next pair's weights (its channels x k floats), when this thread runs it */
        const int64_t next = p->c_out - b * 16 - 32 < 32 ? p->c_out - b * 16 - 32 : 32;
        const int64_t pn = item + 1 < end && b + 2 < blocks ? next * k : 0;
        const float *pf = pn > 0 ? w0 + 2 * k * 16 : w0;
        if (nc % 16 == 0)
            dlk_conv_mean_pixels(j, x, w0, w1, 16, 16, m0, m1, b0, b1, 0, pf, pn, s);
        else
            dlk_conv_mean_pixels(j, x, w0, w1, s0, s1, m0, m1, b0, b1, 1, pf, pn, s);
        _mm512_mask_storeu_ps(y, m0, _mm512_mul_ps(s[0], _mm512_set1_ps(scale)));
        if (nb > 1)
            _mm512_mask_storeu_ps(y + 16, m1, _mm512_mul_ps(s[1], _mm512_set1_ps(scale)));
#else
        /* the same sums, pixel by pixel, k inner */
        float sum[32], v[32];
        int64_t q, c, i;
        for (c = 0; c < nc; c++)
            sum[c] = 0.0f;
        for (q = 0; q < hw; q++) {
            for (c = 0; c < nc; c++) {
                const float *w = (c < 16 ? w0 : w1) + c % 16;
                const int64_t stride = c < 16 ? s0 : s1;
                float a = j->b != NULL ? j->b[b * 16 + c] : 0.0f;
                for (i = 0; i < k; i++)
                    a += w[i * stride] * x[i * hw + q];
                v[c] = a;
            }
            dlk_epilogue_f32(&p->ep, v, NULL, nc);
            for (c = 0; c < nc; c++)
                sum[c] += v[c];
        }
        for (c = 0; c < nc; c++)
            y[c] = sum[c] * scale;
#endif
    }
}

/* y (N x C_out) = the mean over the pixels of act(W x + b) for x (N x C_in x
 * H x W), the weights reordered by dlk_conv_tiles_weights_f32 (blocks of 16
 * output channels), b C_out floats or NULL. Needs dlk_conv_mean_fits(p). */
static void dlk_conv_mean_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *wt,
                              const float *b, float *y)
{
    dlk_conv_mean_job j;
    j.p = p;
    j.x = x;
    j.wt = wt;
    j.b = b;
    j.y = y;
    j.pairs = ((p->c_out + 15) / 16 + 1) / 2;
    dlk_parallel_for(par, dlk_conv_mean_task, &j, p->n * j.pairs);
}
/*@end*/

#endif
