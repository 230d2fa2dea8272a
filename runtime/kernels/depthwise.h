/* Depthwise 2-D convolution (MobileNet, EfficientNet, ShuffleNet): a Conv
 * whose group count equals its input channels, so every output channel reads
 * one input plane. As a grouped GEMM each group is a 1-row matrix product,
 * all overhead; here each output row is summed tap by tap straight from the
 * input rows, the inner loop running along the row with no bounds checks
 * (the valid span of each tap is computed once per row). Channels are
 * independent work items for the threads. The fused epilogue runs on each
 * finished plane while it is in cache. */
#ifndef DLK_DEPTHWISE_H
#define DLK_DEPTHWISE_H

#include "common.h"
#include "conv.h"
#include "epilogue.h"
#include "parallel.h"
#include "pool.h"

/*@ dlk_depthwise_body_f32 : dlk_conv_params dlk_conv_range dlk_lanes16 dlk_row16 dlk_transpose16 dlk_act16_avx512 dlk_epilogue_f32 dlk_parallel dlk_plane_mean_f32 */
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* y[0:n] += w * x[0:n], in fixed blocks so gcc -O2 vectorises it. */
static void dlk_depthwise_axpy_f32(float *restrict y, const float *restrict x, float w, int64_t n)
{
    int64_t i, k, n8 = n - n % 8;
    for (i = 0; i < n8; i += 8)
        for (k = 0; k < 8; k++)
            y[i + k] += w * x[i + k];
    for (i = n8; i < n; i++)
        y[i] += w * x[i];
}

/* y[0:n] += w * x[0:n*s:s]. Stride 2 with AVX-512 loads 32 values and keeps
 * the even ones, while the second load stays inside x[0 .. 2(n-1)]. */
static void dlk_depthwise_axpy_strided_f32(float *restrict y, const float *restrict x, int64_t s, float w,
                                           int64_t n)
{
    int64_t i = 0;
#if defined(__AVX512F__)
    if (s == 2) {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        const __m512 wv = _mm512_set1_ps(w);
        for (; i + 16 < n; i += 16) {
            const __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(x + 2 * i), even,
                                                    _mm512_loadu_ps(x + 2 * i + 16));
            _mm512_storeu_ps(y + i, _mm512_fmadd_ps(wv, v, _mm512_loadu_ps(y + i)));
        }
    }
#endif
    for (; i < n; i++)
        y[i] += w * x[i * s];
}

/* Kernel widths up to this run here (the lowering sends wider ones to the
 * matrix-product kernel): the valid span of every column tap is computed
 * once per plane, not once per row. */
#define DLK_DEPTHWISE_MAX_KW 16

/* One output plane: channel oc of one image; x points at its input plane. */
static void dlk_depthwise_plane_f32(const dlk_conv_params *p, const float *x, const float *w, float bias,
                                    const float *r, float *y)
{
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], sh = p->strides[0], sw = p->strides[1];
    int64_t lo[DLK_DEPTHWISE_MAX_KW], hi[DLK_DEPTHWISE_MAX_KW], off[DLK_DEPTHWISE_MAX_KW];
    int64_t oh, kh, kw, o;
    for (kw = 0; kw < kw_n; kw++) {
        off[kw] = kw * p->dilations[1] - p->pads[1];
        dlk_conv_range(off[kw], sw, iw_n, ow_n, &lo[kw], &hi[kw]);
    }
    for (oh = 0; oh < oh_n; oh++) {
        float *yr = y + oh * ow_n;
        for (o = 0; o < ow_n; o++)
            yr[o] = bias;
        for (kh = 0; kh < kh_n; kh++) {
            const int64_t ih = oh * sh - p->pads[0] + kh * p->dilations[0];
            const float *xr = x + ih * iw_n, *wr = w + kh * kw_n;
            if (ih < 0 || ih >= ih_n)
                continue;
            for (kw = 0; kw < kw_n; kw++) {
                if (hi[kw] <= lo[kw])
                    continue;
                if (sw == 1)
                    dlk_depthwise_axpy_f32(yr + lo[kw], xr + lo[kw] + off[kw], wr[kw], hi[kw] - lo[kw]);
                else
                    dlk_depthwise_axpy_strided_f32(yr + lo[kw], xr + lo[kw] * sw + off[kw], sw, wr[kw],
                                                   hi[kw] - lo[kw]);
            }
        }
    }
    dlk_epilogue_f32(&p->ep, y, r, oh_n * ow_n);
}

#if !defined(__AVX512F__)
/* Stride 1: the plane is copied into a zero-padded band of rows (pitch wp,
 * the padded width); output (oh, ow) and input (oh + kh d, ow + kw d) of the
 * padded band then sit kh d wp + kw d apart for every pixel, so no tap needs
 * a bounds check (dlk_depthwise_band_f32). Bands keep the buffers at
 * DLK_DEPTHWISE_BAND floats (32 KB each). */
#define DLK_DEPTHWISE_BAND 8192
#define DLK_DEPTHWISE_MAX_TAPS 64

/* Does a band of at least one output row fit, and the taps in registers? */
static int dlk_depthwise_banded(const dlk_conv_params *p)
{
    const int64_t wp = p->in[1] + p->pads[1] + p->pads[3];
    return p->strides[0] == 1 && p->strides[1] == 1 && p->kernel[0] * p->kernel[1] <= DLK_DEPTHWISE_MAX_TAPS &&
           wp * (1 + (p->kernel[0] - 1) * p->dilations[0]) <= DLK_DEPTHWISE_BAND;
}

/* The nb output rows of a band: y[i][o] = bias + sum_t wt[t] xb[i wp + o +
 * off[t]]. With AVX-512 each block of 16 outputs of a row (masked at the
 * row's end) sums every tap in one register and is stored once, straight
 * into y. Elsewhere the band is one flat run of the pitch wp (the last wp -
 * ow_n columns of each row are thrown away), tap after tap over all of it
 * (vectorised, a load and store of yb per tap), then copied row by row. */
static void dlk_depthwise_band_f32(float *y, const float *restrict xb, int64_t wp, int64_t nb, int64_t ow_n,
                                   const float *wt, const int64_t *off, int64_t taps, float bias,
                                   float *restrict yb)
{
    int64_t i, t;
#if defined(__AVX512F__)
    int64_t o;
    (void)yb;
    for (i = 0; i < nb; i++)
        for (o = 0; o < ow_n; o += 16) {
            const __mmask16 m = dlk_lanes16(o, ow_n);
            const float *xr = xb + i * wp + o;
            __m512 acc = _mm512_set1_ps(bias);
            for (t = 0; t < taps; t++)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(wt[t]), _mm512_maskz_loadu_ps(m, xr + off[t]), acc);
            _mm512_mask_storeu_ps(y + i * ow_n + o, m, acc);
        }
#else
    const int64_t len = (nb - 1) * wp + ow_n;   /* the last row's thrown-away tail would read past the band */
    for (i = 0; i < len; i++)
        yb[i] = bias;
    for (t = 0; t < taps; t++)
        dlk_depthwise_axpy_f32(yb, xb + off[t], wt[t], len);
    for (i = 0; i < nb; i++)
        memcpy(y + i * ow_n, yb + i * wp, sizeof(float) * (size_t)ow_n);
#endif
}

static void dlk_depthwise_plane_s1_f32(const dlk_conv_params *p, const float *x, const float *w, float bias,
                                       const float *r, float *y)
{
    float xb[DLK_DEPTHWISE_BAND], yb[DLK_DEPTHWISE_BAND];
    int64_t off[DLK_DEPTHWISE_MAX_TAPS];
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], dh = p->dilations[0], dw = p->dilations[1];
    const int64_t pt = p->pads[0], pl = p->pads[1], pr = p->pads[3], wp = iw_n + pl + pr, span = (kh_n - 1) * dh;
    const int64_t rows = DLK_DEPTHWISE_BAND / wp - span;   /* output rows per band (>= 1) */
    int64_t oh0, nb, i, kh, kw;
    for (kh = 0; kh < kh_n; kh++)
        for (kw = 0; kw < kw_n; kw++)
            off[kh * kw_n + kw] = kh * dh * wp + kw * dw;
    for (oh0 = 0; oh0 < oh_n; oh0 += nb) {
        nb = oh_n - oh0 < rows ? oh_n - oh0 : rows;
        for (i = 0; i < nb + span; i++) {   /* padded input rows oh0 - pt + i */
            const int64_t ih = oh0 - pt + i;
            float *xr = xb + i * wp;
            if (ih < 0 || ih >= ih_n) {
                memset(xr, 0, sizeof(float) * (size_t)wp);
                continue;
            }
            memset(xr, 0, sizeof(float) * (size_t)pl);
            memcpy(xr + pl, x + ih * iw_n, sizeof(float) * (size_t)iw_n);
            memset(xr + pl + iw_n, 0, sizeof(float) * (size_t)pr);
        }
        dlk_depthwise_band_f32(y + oh0 * ow_n, xb, wp, nb, ow_n, w, off, kh_n * kw_n, bias, yb);
        dlk_epilogue_f32(&p->ep, y + oh0 * ow_n, r != NULL ? r + oh0 * ow_n : NULL, nb * ow_n);
    }
}
#endif

#if defined(__AVX512F__)
/* Width stride 1 or 2 (any height stride, dilation, padding), output rows
 * up to DLK_DEPTHWISE_MAX_BLOCKS blocks of 16, AVX-512: each block of 16
 * outputs of a row sums every tap in one register, read straight from the
 * input rows with loads masked to the row (no copy into a padded band; a
 * row in the padding is a row of zeros); stride 2 keeps the even values of
 * 32 loaded. Four output rows run together. The masks depend on the block
 * and the column tap only: made once per plane. Rows run in order, so the
 * plane streams through the caches once. */
#define DLK_DEPTHWISE_MAX_BLOCKS 32

/* Relu, Clip (MobileNet's ReLU6), Sigmoid or SiLU (EfficientNet's) with
 * no residual is applied to the registers before the store, so the plane
 * needs no epilogue pass (the same function of each lane, so the same
 * bits; eight of EfficientNet-B0's and MobileNetV2's depthwise shapes
 * with SiLU on a Zen 5 core: 1.28 ms with the pass, 0.97 in the registers
 * with the lanes kernel's runs): the activation to apply, or NULL. */
static const dlk_epilogue *dlk_depthwise_in_regs(const dlk_epilogue *e)
{
    return e->residual == DLK_RES_NONE && e->act != DLK_ACT_NONE && dlk_act16_takes(e->act) ? e : NULL;
}

static DLK_INLINE __m512 dlk_depthwise_act(const dlk_epilogue *act, __m512 v)
{
    return act != NULL ? dlk_act16_avx512(act, v) : v;
}
#define DLK_DEPTHWISE_MAX_IN_W 1088   /* input rows up to this wide (the padding's zero row) */

/* What every plane of a layer shares, made once per call: the column taps'
 * offsets and masks and the padding's zero row (masks keep loads in
 * [0, in[1]), so it is read only where a real row would be). */
typedef struct dlk_depthwise_taps {
    int64_t c0[DLK_DEPTHWISE_MAX_KW];   /* the input column of output 0, per column tap */
    __mmask16 m0[DLK_DEPTHWISE_MAX_BLOCKS][DLK_DEPTHWISE_MAX_KW], m1[DLK_DEPTHWISE_MAX_BLOCKS][DLK_DEPTHWISE_MAX_KW];
    /* shared: stride and dilation 1 with every |c0| <= 16 (dlk_depthwise_rows_s1_avx512_f32);
     * then shift[kw] picks the tap's 16 values out of two neighbouring loads */
    int shared;
    __m512i shift[DLK_DEPTHWISE_MAX_KW];
    float zero[DLK_DEPTHWISE_MAX_IN_W];
} dlk_depthwise_taps;

static void dlk_depthwise_taps_init(dlk_depthwise_taps *t, const dlk_conv_params *p)
{
    const int64_t sw = p->strides[1], blocks = (p->out[1] + 15) / 16;
    int64_t q, kw;
    memset(t->zero, 0, sizeof(float) * (size_t)p->in[1]);
    t->shared = p->strides[0] == 1 && p->strides[1] == 1 && p->dilations[0] == 1 && p->dilations[1] == 1;
    for (kw = 0; kw < p->kernel[1]; kw++) {
        int32_t lane[16];
        int l;
        t->c0[kw] = kw * p->dilations[1] - p->pads[1];
        t->shared = t->shared && t->c0[kw] >= -16 && t->c0[kw] <= 16;
        for (l = 0; l < 16; l++)   /* from (previous, this) block when c0 < 0, (this, next) otherwise */
            lane[l] = (int32_t)(t->c0[kw] < 0 ? 16 + l + t->c0[kw] : l + t->c0[kw]);
        t->shift[kw] = _mm512_loadu_si512(lane);
    }
    for (q = 0; q < blocks; q++)
        for (kw = 0; kw < p->kernel[1]; kw++) {
            t->m0[q][kw] = dlk_lanes16(q * 16 * sw + t->c0[kw], p->in[1]);
            t->m1[q][kw] = dlk_lanes16(q * 16 * sw + t->c0[kw] + 16, p->in[1]);
        }
}

/* nr output rows (1 to 4) from the kh_n input rows each reads (rows[i][kh]:
 * a row of x, or a row of zeros in the padding), so no tap checks anything,
 * each block of 16 columns of the rows at once: nr independent sums, where
 * one row's taps in one register were a chain of multiply-adds waiting on
 * each other. Called with constant nr, kh_n, kw_n and sw for the usual
 * kernels: the taps unroll into straight-line masked loads and
 * multiply-adds. */
static inline void dlk_depthwise_rows_avx512_f32(const dlk_depthwise_taps *t,
                                                 const float *rows[4][DLK_DEPTHWISE_MAX_KW], int64_t nr,
                                                 const float *w, float bias, int64_t kh_n, int64_t kw_n,
                                                 int64_t sw, int64_t ow_n, const dlk_epilogue *act, float *yr)
{
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    int64_t q, kh, kw, i;
    for (q = 0; q * 16 < ow_n; q++) {
        const int64_t o = q * 16;
        const __mmask16 m = dlk_lanes16(o, ow_n);
        __m512 acc[4];
        for (i = 0; i < nr; i++)
            acc[i] = _mm512_set1_ps(bias);
        for (kh = 0; kh < kh_n; kh++)
            for (kw = 0; kw < kw_n; kw++) {
                const __m512 wv = _mm512_set1_ps(w[kh * kw_n + kw]);
                for (i = 0; i < nr; i++) {
                    const float *xr = rows[i][kh] + o * sw + t->c0[kw];
                    __m512 v = _mm512_maskz_loadu_ps(t->m0[q][kw], xr);
                    if (sw == 2)
                        v = _mm512_permutex2var_ps(v, even, _mm512_maskz_loadu_ps(t->m1[q][kw], xr + 16));
                    acc[i] = _mm512_fmadd_ps(wv, v, acc[i]);
                }
            }
        for (i = 0; i < nr; i++)
            _mm512_mask_storeu_ps(yr + i * ow_n + o, m, dlk_depthwise_act(act, acc[i]));
    }
}

/* The same with stride and dilation 1 (t->shared): the nr output rows read
 * nr + kh_n - 1 input rows (xr[j]: a row of x, or of zeros), each of which
 * serves up to kh_n of them. Each input row is loaded once per block of 16
 * columns, with the blocks before and after it, and every column tap's 16
 * values picked out of two of the three (one permute), where each tap of
 * each output row was a load of its own, most of them across two cache
 * lines: 6 loads and 18 permutes for 36 multiply-adds of a 3 x 3 kernel,
 * not 36 loads. Each output row still sums its taps in the same order
 * (row by row, then column by column, from the bias): the same bits. */
static DLK_INLINE void dlk_depthwise_rows_s1_avx512_f32(const dlk_depthwise_taps *t,
                                                        const float *xr[4 + DLK_DEPTHWISE_MAX_KW], int64_t nr,
                                                        const float *w, float bias, int64_t kh_n, int64_t kw_n,
                                                        int64_t iw_n, int64_t ow_n, const dlk_epilogue *act,
                                                        float *yr)
{
    int64_t q, j, kw, i;
    for (q = 0; q * 16 < ow_n; q++) {
        const int64_t o = q * 16;
        const __mmask16 m = dlk_lanes16(o, ow_n), mp = dlk_lanes16(o - 16, iw_n), mc = dlk_lanes16(o, iw_n),
                        mn = dlk_lanes16(o + 16, iw_n);
        __m512 acc[4];
        for (i = 0; i < nr; i++)
            acc[i] = _mm512_set1_ps(bias);
        DLK_UNROLL
        for (j = 0; j < nr + kh_n - 1; j++) {
            const __m512 prev = _mm512_maskz_loadu_ps(mp, xr[j] + o - 16), cur = _mm512_maskz_loadu_ps(mc, xr[j] + o);
            const __m512 next = _mm512_maskz_loadu_ps(mn, xr[j] + o + 16);
            DLK_UNROLL
            for (kw = 0; kw < kw_n; kw++) {
                const __m512 v = t->c0[kw] < 0    ? _mm512_permutex2var_ps(prev, t->shift[kw], cur)
                                 : t->c0[kw] == 0 ? cur
                                                  : _mm512_permutex2var_ps(cur, t->shift[kw], next);
                DLK_UNROLL
                for (i = 0; i < nr; i++)   /* output row i takes input row j as its row tap j - i */
                    if (j - i >= 0 && j - i < kh_n)
                        acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(w[(j - i) * kw_n + kw]), v, acc[i]);
            }
        }
        for (i = 0; i < nr; i++)
            _mm512_mask_storeu_ps(yr + i * ow_n + o, m, dlk_depthwise_act(act, acc[i]));
    }
}

/* 3 x 3 kernels of left pad 1, dilation 1 and stride 1 or 2 both ways
 * (MobileNetV2's and most of EfficientNet-B0's): the column taps as
 * constants. The loops above read t->c0 per tap, a branch and a mask the
 * compiler cannot fold, and a stride-2 tap was two loads (one across cache
 * lines) and a permute of its own. Here each input row is loaded once per
 * block, at the block's columns, and kept while the next block runs:
 * stride 1 takes the left / right taps from (previous, this) / (this,
 * next) block joined (one align each); stride 2 splits the 32 columns of
 * the block's 16 outputs into their even (the middle tap) and odd (the
 * right tap) columns, the left tap being the odd ones shifted by one
 * column with the previous block's last. Stride 1 sums 4 output rows from
 * 6 input rows, stride 2 two rows from 5. Bias first, then the taps row by
 * row, column by column, as above: the same bits. One Zen 5 core, hot,
 * Clip, dlk_depthwise_f32 before and after: 32 x 112 x 112 stride 1 0.083
 * -> 0.052 ms, 144 x 56 x 56 0.111 -> 0.079 (the lanes kernel's); 96 x 112
 * x 112 stride 2 0.152 -> 0.100, 144 x 56 x 56 stride 2 0.058 -> 0.048
 * (the lanes kernel's); clang 14 alike. 28 wide about even, 14 wide slower
 * than the lanes kernel, which keeps those (dlk_depthwise_lanes_fit). */
/* NR output rows at stride 1 from input rows xr[0 .. NR + 1]. */
static DLK_INLINE void dlk_depthwise_k3_s1_avx512(const float *const *xr, const float *w, float bias, int64_t iw_n,
                                                  int64_t ow_n, const dlk_epilogue *act, float *yr, const int NR)
{
    __m512 prev[6], cur[6], next[6], wv[9], acc[4];
    int64_t q;
    int j, i, kw;
    for (j = 0; j < 9; j++)
        wv[j] = _mm512_set1_ps(w[j]);
    for (j = 0; j < NR + 2; j++) {
        prev[j] = _mm512_setzero_ps();
        cur[j] = dlk_row16(xr[j], 0, iw_n, _mm512_setzero_ps());
    }
    for (q = 0; q * 16 < ow_n; q++) {
        for (i = 0; i < NR; i++)
            acc[i] = _mm512_set1_ps(bias);
        DLK_UNROLL
        for (j = 0; j < NR + 2; j++) {
            next[j] = dlk_row16(xr[j], 16 * q + 16, iw_n, _mm512_setzero_ps());
            DLK_UNROLL
            for (kw = 0; kw < 3; kw++) {
                const __m512 v = kw == 0   ? DLK_ALIGN16(cur[j], prev[j], 15)
                                 : kw == 1 ? cur[j]
                                           : DLK_ALIGN16(next[j], cur[j], 1);
                DLK_UNROLL
                for (i = 0; i < NR; i++)   /* output row i takes input row j as its row tap j - i */
                    if (j - i >= 0 && j - i < 3)
                        acc[i] = _mm512_fmadd_ps(wv[(j - i) * 3 + kw], v, acc[i]);
            }
        }
        for (i = 0; i < NR; i++)
            _mm512_mask_storeu_ps(yr + i * ow_n + 16 * q, dlk_lanes16(16 * q, ow_n), dlk_depthwise_act(act, acc[i]));
        for (j = 0; j < NR + 2; j++) {
            prev[j] = cur[j];
            cur[j] = next[j];
        }
    }
}

/* The even and odd columns of columns [c, c + 32) of row x. */
static DLK_INLINE void dlk_depthwise_k3_phases(const float *x, int64_t c, int64_t iw_n, __m512 *even, __m512 *odd)
{
    const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512 a = dlk_row16(x, c, iw_n, _mm512_setzero_ps()), b = dlk_row16(x, c + 16, iw_n, _mm512_setzero_ps());
    *even = _mm512_permutex2var_ps(a, ie, b);
    *odd = _mm512_permutex2var_ps(a, io, b);
}

/* NR output rows at stride 2 from input rows xr[0 .. 2 NR]. */
static DLK_INLINE void dlk_depthwise_k3_s2_avx512(const float *const *xr, const float *w, float bias, int64_t iw_n,
                                                  int64_t ow_n, const dlk_epilogue *act, float *yr, const int NR)
{
    __m512 odd_prev[5], wv[9], acc[2];
    int64_t q;
    int j, i, kw;
    for (j = 0; j < 9; j++)
        wv[j] = _mm512_set1_ps(w[j]);
    for (j = 0; j < 2 * NR + 1; j++)
        odd_prev[j] = _mm512_setzero_ps();
    for (q = 0; q * 16 < ow_n; q++) {
        for (i = 0; i < NR; i++)
            acc[i] = _mm512_set1_ps(bias);
        DLK_UNROLL
        for (j = 0; j < 2 * NR + 1; j++) {
            __m512 even, odd;
            dlk_depthwise_k3_phases(xr[j], 32 * q, iw_n, &even, &odd);
            DLK_UNROLL
            for (kw = 0; kw < 3; kw++) {
                const __m512 v = kw == 0 ? DLK_ALIGN16(odd, odd_prev[j], 15) : kw == 1 ? even : odd;
                DLK_UNROLL
                for (i = 0; i < NR; i++)   /* output row i takes input row j as its row tap j - 2i */
                    if (j - 2 * i >= 0 && j - 2 * i < 3)
                        acc[i] = _mm512_fmadd_ps(wv[(j - 2 * i) * 3 + kw], v, acc[i]);
            }
            odd_prev[j] = odd;
        }
        for (i = 0; i < NR; i++)
            _mm512_mask_storeu_ps(yr + i * ow_n + 16 * q, dlk_lanes16(16 * q, ow_n), dlk_depthwise_act(act, acc[i]));
    }
}

/* Whether p is such a 3 x 3 conv (its stride; 0: not one). */
static int dlk_depthwise_k3(const dlk_conv_params *p)
{
    if (p->kernel[0] != 3 || p->kernel[1] != 3 || p->pads[1] != 1 || p->dilations[0] != 1 || p->dilations[1] != 1 ||
        p->strides[0] != p->strides[1] || p->strides[1] > 2)
        return 0;
    return (int)p->strides[1];
}

/* Output rows asked for (PREFETCHW) a block ahead: in a model a wide
 * plane's output goes to lines out of cache, and the stores waited on them
 * (MobileNetV2's 32 x 112 x 112 3x3, one thread, --profile, alternated
 * runs: 0.122-0.210 -> 0.075-0.083 ms; the whole model 3.43-3.59 ->
 * 3.39-3.51 ms; 8 rows ahead no better). */
#ifndef DLK_DW_PF_ROWS
#define DLK_DW_PF_ROWS 4
#endif
DLK_NOINLINE static void dlk_depthwise_plane_avx512_f32(const dlk_conv_params *p, const dlk_depthwise_taps *t,
                                                        const float *x, const float *w, float bias, const float *r,
                                                        float *y)
{
    const int64_t iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], sw = p->strides[1];
    const dlk_epilogue *act = dlk_depthwise_in_regs(&p->ep);
    const float *rows[4][DLK_DEPTHWISE_MAX_KW];
    int64_t oh, kh, i;
    const int k3 = dlk_depthwise_k3(p);
    for (oh = 0; oh < oh_n; oh += 4) {
        const int64_t nr = oh_n - oh < 4 ? oh_n - oh : 4;
        float *yr = y + oh * ow_n;
        {
            const int64_t ahead = DLK_DW_PF_ROWS * ow_n, end = oh_n * ow_n - (oh + 4) * ow_n;
            const char *yn = (const char *)(yr + 4 * ow_n);
            for (i = 0; i < (ahead < end ? ahead : end) * (int64_t)sizeof(float); i += 64)
                _mm_prefetch(yn + i, _MM_HINT_ET0);
        }
        if (k3) {
            /* Relu and Clip in the registers, Sigmoid and SiLU after (see t->shared's) */
            const dlk_epilogue *a = act != NULL && (act->act == DLK_ACT_RELU || act->act == DLK_ACT_CLIP) ? act : NULL;
            const float *xr[9];
            for (i = 0; i < k3 * (nr - 1) + 3; i++) {
                const int64_t ih = oh * k3 - p->pads[0] + i;
                xr[i] = ih >= 0 && ih < p->in[0] ? x + ih * iw_n : t->zero;
            }
            if (k3 == 1 && nr == 4)
                dlk_depthwise_k3_s1_avx512(xr, w, bias, iw_n, ow_n, a, yr, 4);
            else if (k3 == 1)
                for (i = 0; i < nr; i++)
                    dlk_depthwise_k3_s1_avx512(xr + i, w, bias, iw_n, ow_n, a, yr + i * ow_n, 1);
            else
                for (i = 0; i < nr; i += 2)
                    if (nr - i >= 2)
                        dlk_depthwise_k3_s2_avx512(xr + 2 * i, w, bias, iw_n, ow_n, a, yr + i * ow_n, 2);
                    else
                        dlk_depthwise_k3_s2_avx512(xr + 2 * i, w, bias, iw_n, ow_n, a, yr + i * ow_n, 1);
            if (act != NULL && a == NULL)
                dlk_epilogue_act_f32(act, yr, nr * ow_n);
            continue;
        }
        if (t->shared) {
            /* Sigmoid and SiLU over the rows just written, two vectors a step
             * (after the four sums of a block, their chains ran one by one) */
            const dlk_epilogue *a = act != NULL && (act->act == DLK_ACT_RELU || act->act == DLK_ACT_CLIP) ? act : NULL;
            const float *xr[4 + DLK_DEPTHWISE_MAX_KW];
            for (i = 0; i < nr + kh_n - 1; i++) {
                const int64_t ih = oh - p->pads[0] + i;
                xr[i] = ih >= 0 && ih < p->in[0] ? x + ih * iw_n : t->zero;
            }
            if (nr == 4 && kh_n == 3 && kw_n == 3)
                dlk_depthwise_rows_s1_avx512_f32(t, xr, 4, w, bias, 3, 3, iw_n, ow_n, a, yr);
            else if (nr == 4 && kh_n == 5 && kw_n == 5)
                dlk_depthwise_rows_s1_avx512_f32(t, xr, 4, w, bias, 5, 5, iw_n, ow_n, a, yr);
            else
                dlk_depthwise_rows_s1_avx512_f32(t, xr, nr, w, bias, kh_n, kw_n, iw_n, ow_n, a, yr);
            if (act != NULL && a == NULL)
                dlk_epilogue_act_f32(act, yr, nr * ow_n);
            continue;
        }
        for (i = 0; i < nr; i++)
            for (kh = 0; kh < kh_n; kh++) {
                const int64_t ih = (oh + i) * p->strides[0] - p->pads[0] + kh * p->dilations[0];
                rows[i][kh] = ih >= 0 && ih < p->in[0] ? x + ih * iw_n : t->zero;
            }
        if (nr == 4 && kh_n == 3 && kw_n == 3 && sw == 1)
            dlk_depthwise_rows_avx512_f32(t, rows, 4, w, bias, 3, 3, 1, ow_n, act, yr);
        else if (nr == 4 && kh_n == 3 && kw_n == 3)
            dlk_depthwise_rows_avx512_f32(t, rows, 4, w, bias, 3, 3, 2, ow_n, act, yr);
        else if (nr == 4 && kh_n == 5 && kw_n == 5 && sw == 1)
            dlk_depthwise_rows_avx512_f32(t, rows, 4, w, bias, 5, 5, 1, ow_n, act, yr);
        else if (nr == 4 && kh_n == 5 && kw_n == 5)
            dlk_depthwise_rows_avx512_f32(t, rows, 4, w, bias, 5, 5, 2, ow_n, act, yr);
        else   /* the last rows of a plane, other kernels */
            dlk_depthwise_rows_avx512_f32(t, rows, nr, w, bias, kh_n, kw_n, sw, ow_n, act, yr);
    }
    if (act == NULL)
        dlk_epilogue_f32(&p->ep, y, r, oh_n * ow_n);
}
#endif

#if defined(__AVX512F__)
/* One output channel per input channel, AVX-512: 16 channels at a time with
 * the channels along the vector, where rows along it fill 7 or 14 of 16
 * lanes on small planes and every row pays the loop's overhead. A band of
 * the planes' rows is transposed (16 x 16 blocks in registers) into a tile
 * of pixels holding 16 channels each, zero-padded, so every tap of every
 * output is one full-width load and multiply-add with no mask or bounds;
 * outputs are transposed back 16 pixels at a time. Bands of output rows
 * keep the tile at DLK_DEPTHWISE_TILE padded pixels (64 KB); the rows two
 * bands share are transposed twice. */
#define DLK_DEPTHWISE_TILE 1024
#define DLK_DEPTHWISE_LANE_TAPS 64

/* Output rows per band (0: not even one fits). */
static int64_t dlk_depthwise_lanes_rows(const dlk_conv_params *p)
{
    const int64_t wp = p->in[1] + p->pads[1] + p->pads[3], span = (p->kernel[0] - 1) * p->dilations[0];
    const int64_t rows = DLK_DEPTHWISE_TILE / wp - span - 1;   /* input rows past a band's first */
    return rows < 0 ? 0 : rows / p->strides[0] + 1;
}

/* Measured on MobileNetV2's layers (Sapphire Rapids, one output at a time):
 * faster up to 28 outputs wide (2.7x on 7x7, 1.6x on 14x14, 1.25x on 28x28
 * at stride 1; 1.3-2.4x at stride 2), slower from 56 on, where rows fill
 * the vectors and the transposes cost more than the lanes they save. With
 * runs of outputs (dlk_depthwise_lanes_sum), on a Zen 5 core, 56 wide is
 * faster too: 144 x 56 x 56 0.149 -> 0.132 ms (even against the direct
 * kernel's shared rows since: 0.122 -> 0.120), 96 x 112 x 112 stride 2
 * 0.184 -> 0.170 (even with SiLU); 112 wide is still slower. */
#ifndef DLK_DEPTHWISE_LANES_MAX_W
#if defined(__clang__)   /* clang 14's lanes kernel is slower: 144 x 56 x 56 0.142 ms direct, 0.19 lanes */
#define DLK_DEPTHWISE_LANES_MAX_W 32
#else
#define DLK_DEPTHWISE_LANES_MAX_W 64
#endif
#endif

static int dlk_depthwise_lanes_fit(const dlk_conv_params *p)
{
    const int k3 = dlk_depthwise_k3(p);   /* the direct 3 x 3 kernels' rows: faster from 56 / 28 wide */
    if ((k3 == 1 && p->out[1] > 32) || (k3 == 2 && p->out[1] > 16))
        return 0;
    return p->out[1] <= DLK_DEPTHWISE_LANES_MAX_W && p->c_in == p->group && p->c_out == p->group &&
           p->kernel[0] * p->kernel[1] <= DLK_DEPTHWISE_LANE_TAPS && dlk_depthwise_lanes_rows(p) > 0;
}

/* Outputs q0 .. q0 + nq - 1 (flat, nq <= 16) of nch channels, from
 * o[i]: output q0 + i, channel c in lane c. */
static void dlk_depthwise_lanes_put(__m512 o[16], int64_t q0, int64_t nq, int64_t nch, int64_t out_plane, float *y)
{
    int64_t c;
    dlk_transpose16(o);
    for (c = 0; c < nch; c++)
        _mm512_mask_storeu_ps(y + c * out_plane + q0, dlk_lanes16(0, nq), o[c]);
}

/* Padded input rows r0 .. r1 - 1 of nch planes into the tile's rows 0 ..
 * r1 - r0 - 1 (wp pixels of 16 floats each). */
static void dlk_depthwise_lanes_load(const dlk_conv_params *p, const float *x, int64_t nch, int64_t r0, int64_t r1,
                                     float *tile)
{
    const int64_t ih_n = p->in[0], iw_n = p->in[1], pt = p->pads[0], pl = p->pads[1];
    const int64_t wp = iw_n + pl + p->pads[3], in_plane = ih_n * iw_n;
    const int64_t a = r0 - pt > 0 ? r0 - pt : 0, z = r1 - pt < ih_n ? r1 - pt : ih_n;   /* real rows [a, z) */
    const __m512 zero = _mm512_setzero_ps();
    int64_t i, c, q0, ih, iw;
    for (i = r0; i < r1; i++) {
        float *row = tile + (i - r0) * wp * 16;
        if (i - pt < a || i - pt >= z) {
            for (iw = 0; iw < wp; iw++)
                _mm512_store_ps(row + iw * 16, zero);
            continue;
        }
        for (iw = 0; iw < pl; iw++)
            _mm512_store_ps(row + iw * 16, zero);
        for (iw = pl + iw_n; iw < wp; iw++)
            _mm512_store_ps(row + iw * 16, zero);
    }
    ih = a;
    iw = 0;
    for (q0 = a * iw_n; q0 < z * iw_n; q0 += 16) {
        const int64_t nq = z * iw_n - q0 < 16 ? z * iw_n - q0 : 16;
        const __mmask16 m = dlk_lanes16(0, nq);
        __m512 v[16];
        for (c = 0; c < 16; c++)
            v[c] = c < nch ? _mm512_maskz_loadu_ps(m, x + c * in_plane + q0) : zero;
        dlk_transpose16(v);
        for (i = 0; i < nq; i++) {
            _mm512_store_ps(tile + ((ih + pt - r0) * wp + iw + pl) * 16, v[i]);
            if (++iw == iw_n) {
                iw = 0;
                ih++;
            }
        }
    }
}

/* v, the next finished output, into o[*nq]; each 16 are put from *q0 on. */
static DLK_INLINE void dlk_depthwise_lanes_push(__m512 v, __m512 o[16], int64_t *nq, int64_t *q0, int64_t nch,
                                            int64_t out_plane, float *y)
{
    o[(*nq)++] = v;
    if (*nq == 16) {
        dlk_depthwise_lanes_put(o, *q0, 16, nch, out_plane, y);
        *q0 += 16;
        *nq = 0;
    }
}

/* run outputs of a row, each its own sum of the taps at off[t] floats from
 * its first input pixel (s; the next output's is sw pixels on), in order
 * from the bias. Called with a constant run (and taps), the outputs become
 * `run` chains of multiply-adds advancing side by side, each tap's weights
 * loaded once for them all. One output at a time, its taps were one chain
 * each waiting on the one before (25 x 4 cycles for a 5 x 5 kernel), which
 * out-of-order execution overlapped for two or three outputs only, and
 * every tap took two loads. */
static DLK_INLINE void dlk_depthwise_lanes_run(const float *s, int64_t sw, const float *wv, const int64_t *off,
                                           int64_t taps, __m512 bv, int64_t run, __m512 *acc)
{
    int64_t t, j;
    for (j = 0; j < run; j++)
        acc[j] = bv;
    for (t = 0; t < taps; t++) {
        const __m512 wt = _mm512_load_ps(wv + t * 16);
        for (j = 0; j < run; j++)
            acc[j] = _mm512_fmadd_ps(wt, _mm512_load_ps(s + j * sw * 16 + off[t]), acc[j]);
    }
}

/* Output rows oh0 .. oh1 - 1 from a tile whose row 0 is padded input row
 * oh0 * stride: taps (constant for the usual kernels, so they unroll) at
 * off[t] floats from an output's first input pixel. o[0 .. *nq) holds
 * finished outputs from *q0 on, put 16 at a time. A row runs in runs of
 * up to DLK_DEPTHWISE_LANE_RUN outputs, as even as they can be (14 as 7 +
 * 7: 8 + 6 ran the 6 apart), when the kernel has DLK_DEPTHWISE_RUN_TAPS
 * taps or more or the activation is Sigmoid or SiLU (whose 20 dependent
 * operations want several outputs at once too); a 3 x 3 kernel with Relu
 * or Clip runs one output at a time, which ran 3 % faster. Each output's
 * sum is the same either way: the same bits. On a Zen 5 core, eight of
 * MobileNetV2's and EfficientNet-B0's depthwise shapes: Relu6 1.02 -> 0.76
 * ms (with DLK_DEPTHWISE_LANES_MAX_W), SiLU 1.28 -> 0.97; the 5 x 5 ones
 * 1.6-2x. */
#ifndef DLK_DEPTHWISE_LANE_RUN
#define DLK_DEPTHWISE_LANE_RUN 8
#endif
#ifndef DLK_DEPTHWISE_RUN_TAPS
#define DLK_DEPTHWISE_RUN_TAPS 10
#endif
static DLK_INLINE void dlk_depthwise_lanes_sum(const dlk_conv_params *p, const float *tile, int64_t oh0, int64_t oh1,
                                           const float *wv, const int64_t *off, int64_t taps, __m512 bv,
                                           const dlk_epilogue *act, int64_t nch, __m512 o[16], int64_t *nq,
                                           int64_t *q0, float *y)
{
    const int64_t ow_n = p->out[1], sh = p->strides[0], sw = p->strides[1];
    const int64_t wp = p->in[1] + p->pads[1] + p->pads[3], out_plane = p->out[0] * ow_n;
    const int64_t runs = (ow_n + DLK_DEPTHWISE_LANE_RUN - 1) / DLK_DEPTHWISE_LANE_RUN;
    const int64_t len = (ow_n + runs - 1) / runs;
    int64_t oh, ow, j, t;
    if (taps < DLK_DEPTHWISE_RUN_TAPS && (act == NULL || act->act == DLK_ACT_RELU || act->act == DLK_ACT_CLIP)) {
        for (oh = oh0; oh < oh1; oh++)
            for (ow = 0; ow < ow_n; ow++) {
                const float *s = tile + ((oh - oh0) * sh * wp + ow * sw) * 16;
                __m512 acc = bv;
                for (t = 0; t < taps; t++)
                    acc = _mm512_fmadd_ps(_mm512_load_ps(wv + t * 16), _mm512_load_ps(s + off[t]), acc);
                dlk_depthwise_lanes_push(dlk_depthwise_act(act, acc), o, nq, q0, nch, out_plane, y);
            }
        return;
    }
    for (oh = oh0; oh < oh1; oh++)
        for (ow = 0; ow < ow_n; ow += len) {
            const float *s = tile + ((oh - oh0) * sh * wp + ow * sw) * 16;
            const int64_t run = ow_n - ow < len ? ow_n - ow : len;
            __m512 acc[DLK_DEPTHWISE_LANE_RUN];
            switch (run) {   /* constant runs, so the chains unroll */
            case 8:
                dlk_depthwise_lanes_run(s, sw, wv, off, taps, bv, 8, acc);
                break;
            case 7:
                dlk_depthwise_lanes_run(s, sw, wv, off, taps, bv, 7, acc);
                break;
            case 6:
                dlk_depthwise_lanes_run(s, sw, wv, off, taps, bv, 6, acc);
                break;
            case 5:
                dlk_depthwise_lanes_run(s, sw, wv, off, taps, bv, 5, acc);
                break;
            case 4:
                dlk_depthwise_lanes_run(s, sw, wv, off, taps, bv, 4, acc);
                break;
            default:
                for (j = 0; j < run; j++)
                    dlk_depthwise_lanes_run(s + j * sw * 16, sw, wv, off, taps, bv, 1, acc + j);
                break;
            }
            for (j = 0; j < run; j++)
                dlk_depthwise_lanes_push(dlk_depthwise_act(act, acc[j]), o, nq, q0, nch, out_plane, y);
        }
}

/* nch (1 to 16) channels: x, w, b (NULL: none), r (NULL: none), y at the
 * first one's plane, weights and bias. */
DLK_NOINLINE static void dlk_depthwise_lanes_f32(const dlk_conv_params *p, const float *x, const float *w,
                                                 const float *b, const float *r, float *y, int64_t nch)
{
    float tile_buf[DLK_DEPTHWISE_TILE * 16 + 16], wv_buf[DLK_DEPTHWISE_LANE_TAPS * 16 + 16];
    float *tile = (float *)(((uintptr_t)tile_buf + 63) & ~(uintptr_t)63);   /* whole cache lines */
    float *wv = (float *)(((uintptr_t)wv_buf + 63) & ~(uintptr_t)63);
    int64_t off[DLK_DEPTHWISE_LANE_TAPS];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], taps = kh_n * kw_n, sh = p->strides[0];
    const int64_t wp = p->in[1] + p->pads[1] + p->pads[3], oh_n = p->out[0], out_plane = oh_n * p->out[1];
    const int64_t span = (kh_n - 1) * p->dilations[0], band = dlk_depthwise_lanes_rows(p);
    const __m512 bv = b != NULL ? _mm512_maskz_loadu_ps(dlk_lanes16(0, nch), b) : _mm512_setzero_ps();
    const dlk_epilogue *act = dlk_depthwise_in_regs(&p->ep);
    __m512 o[16];
    int64_t c, t, oh0, oh1, nq = 0, q0 = 0;
    for (t = 0; t < taps; t++) {
        for (c = 0; c < 16; c++)
            wv[t * 16 + c] = c < nch ? w[c * taps + t] : 0.0f;
        off[t] = ((t / kw_n) * p->dilations[0] * wp + (t % kw_n) * p->dilations[1]) * 16;
    }
    for (oh0 = 0; oh0 < oh_n; oh0 = oh1) {
        oh1 = oh_n - oh0 < band ? oh_n : oh0 + band;
        dlk_depthwise_lanes_load(p, x, nch, oh0 * sh, (oh1 - 1) * sh + span + 1, tile);
        if (taps == 9)
            dlk_depthwise_lanes_sum(p, tile, oh0, oh1, wv, off, 9, bv, act, nch, o, &nq, &q0, y);
        else if (taps == 25)
            dlk_depthwise_lanes_sum(p, tile, oh0, oh1, wv, off, 25, bv, act, nch, o, &nq, &q0, y);
        else
            dlk_depthwise_lanes_sum(p, tile, oh0, oh1, wv, off, taps, bv, act, nch, o, &nq, &q0, y);
    }
    if (nq > 0)
        dlk_depthwise_lanes_put(o, q0, nq, nch, out_plane, y);
    if (act == NULL)
        for (c = 0; c < nch; c++)
            dlk_epilogue_f32(&p->ep, y + c * out_plane, r != NULL ? r + c * out_plane : NULL, out_plane);
}
#endif

#ifndef DLK_DEPTHWISE_ROWS_SPLIT
#define DLK_DEPTHWISE_ROWS_SPLIT 1
#endif

/* The plane kernel a call's planes (or bands of their rows) run, chosen
 * once per call: the choice and the taps depend on the geometry along the
 * rows only, which a band shares with its plane. The lanes kernel, which
 * runs 16 planes at once, is chosen apart (dlk_depthwise_run_f32). */
typedef struct dlk_depthwise_way {
#if defined(__AVX512F__)
    int direct;
    dlk_depthwise_taps taps;
#else
    int banded;
#endif
} dlk_depthwise_way;

static void dlk_depthwise_way_init(dlk_depthwise_way *v, const dlk_conv_params *p)
{
#if defined(__AVX512F__)
    v->direct = p->strides[1] <= 2 && p->out[1] <= 16 * DLK_DEPTHWISE_MAX_BLOCKS && p->in[1] <= DLK_DEPTHWISE_MAX_IN_W;
    if (v->direct)
        dlk_depthwise_taps_init(&v->taps, p);
#else
    v->banded = dlk_depthwise_banded(p);
#endif
}

/* One output plane, or a band of its rows as a conv of its own (x: its
 * input rows, w: the kh x kw weights). */
static void dlk_depthwise_one_f32(const dlk_depthwise_way *v, const dlk_conv_params *p, const float *x,
                                  const float *w, float bias, const float *r, float *y)
{
#if defined(__AVX512F__)
    if (v->direct)
        dlk_depthwise_plane_avx512_f32(p, &v->taps, x, w, bias, r, y);
#else
    if (v->banded)
        dlk_depthwise_plane_s1_f32(p, x, w, bias, r, y);
#endif
    else
        dlk_depthwise_plane_f32(p, x, w, bias, r, y);
}

typedef struct dlk_depthwise_task {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r;
    float *y, *mean;   /* mean: NULL, or each output plane's mean (N x C_out) */
} dlk_depthwise_task;

/* Items are (image, output channel) planes. */
static void dlk_depthwise_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_depthwise_task *t = (const dlk_depthwise_task *)arg;
    const dlk_conv_params *p = t->p;
    const int64_t in_plane = p->in[0] * p->in[1], out_plane = p->out[0] * p->out[1];
    const int64_t ksize = p->kernel[0] * p->kernel[1], per_group = p->c_out / p->group;
#if defined(__AVX512F__)
    const int lanes = dlk_depthwise_lanes_fit(p);
#else
    const int lanes = 0;
#endif
    dlk_depthwise_way way;
    int64_t item;
    if (!lanes)
        dlk_depthwise_way_init(&way, p);
    for (item = begin; item < end; item++) {
        const int64_t img = item / p->c_out, oc = item % p->c_out, ic = oc / per_group;
        const int64_t y_off = (img * p->c_out + oc) * out_plane;
        const float *x = t->x + (img * p->c_in + ic) * in_plane, *r = t->r != NULL ? t->r + y_off : NULL;
#if defined(__AVX512F__)
        if (lanes) {   /* this plane and the next ones of the image and the range, up to 16 */
            int64_t nch = p->c_out - oc < 16 ? p->c_out - oc : 16;
            if (end - item < nch)
                nch = end - item;
            dlk_depthwise_lanes_f32(p, x, t->w + oc * ksize, t->b != NULL ? t->b + oc : NULL, r, t->y + y_off,
                                    nch);
            if (t->mean != NULL)
                for (int64_t c = 0; c < nch; c++)
                    t->mean[item + c] = dlk_plane_mean_f32(t->y + y_off + c * out_plane, out_plane);
            item += nch - 1;
            continue;
        }
#endif
        dlk_depthwise_one_f32(&way, p, x, t->w + oc * ksize, t->b != NULL ? t->b[oc] : 0.0f, r, t->y + y_off);
        if (t->mean != NULL)   /* the plane is still in cache */
            t->mean[item] = dlk_plane_mean_f32(t->y + y_off, out_plane);
    }
}

/* Items are blocks of 4 output rows: each thread runs every plane's rows of
 * its blocks, each band of rows as a conv of its own (its input rows start
 * at lo; the rows above it are the top padding only for the first band).
 * Threads splitting the channels each read every pixel of half the planes,
 * which the pointwise conv before had split by pixels (its columns): half
 * of them came from the other core's cache, and the pointwise conv after
 * read them back the same way. */
static void dlk_depthwise_rows_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_depthwise_task *t = (const dlk_depthwise_task *)arg;
    const dlk_conv_params *p = t->p;
    const int64_t in_plane = p->in[0] * p->in[1], out_plane = p->out[0] * p->out[1];
    const int64_t ksize = p->kernel[0] * p->kernel[1], per_group = p->c_out / p->group;
    const int64_t ext = (p->kernel[0] - 1) * p->dilations[0] + 1, sh = p->strides[0];
    const int64_t o0 = begin * 4, o1 = end * 4 < p->out[0] ? end * 4 : p->out[0];
    const int64_t first = o0 * sh - p->pads[0], lo = first > 0 ? first : 0;
    int64_t hi = (o1 - 1) * sh - p->pads[0] + ext, item;
    dlk_conv_params q = *p;
    dlk_depthwise_way way;
    if (hi > p->in[0])
        hi = p->in[0];
    if (hi < lo)
        hi = lo;
    q.in[0] = hi - lo;
    q.out[0] = o1 - o0;
    q.pads[0] = lo - first;
    q.pads[2] = (o1 - o0 - 1) * sh + ext - q.in[0] - q.pads[0];
    if (q.pads[2] < 0)
        q.pads[2] = 0;
    dlk_depthwise_way_init(&way, &q);
    for (item = 0; item < p->n * p->c_out; item++) {
        const int64_t img = item / p->c_out, oc = item % p->c_out, ic = oc / per_group;
        const int64_t y_off = (img * p->c_out + oc) * out_plane + o0 * p->out[1];
        const float *x = t->x + (img * p->c_in + ic) * in_plane + lo * p->in[1];
        const float *r = t->r != NULL ? t->r + y_off : NULL;
        dlk_depthwise_one_f32(&way, &q, x, t->w + oc * ksize, t->b != NULL ? t->b[oc] : 0.0f, r, t->y + y_off);
    }
}

/* Whether `threads` threads split the output rows (dlk_depthwise_rows_run_f32):
 * planes the lanes kernel does not take at that count, at least 8 rows a thread, and no
 * means wanted (a plane's mean needs the whole plane on one thread);
 * otherwise they split the channels. */
static int dlk_depthwise_splits_rows(const dlk_conv_params *p, int threads, int mean)
{
#if defined(__AVX512F__)
    /* planes over 32 wide split by rows on the direct kernel all the same:
     * MobileNetV2's 144 x 56 x 56 at 2 threads 0.081 -> 0.074 ms, the
     * projection after it 0.055 -> 0.053 (its input rows stay on their core);
     * the same bits either way */
    if (dlk_depthwise_lanes_fit(p) && (p->out[1] <= 32 || threads < 2))
        return 0;
#endif
    return DLK_DEPTHWISE_ROWS_SPLIT && threads > 1 && !mean && p->out[0] >= 8 * threads;
}

/* Runs the planes over par; mean NULL or each plane's mean. */
static void dlk_depthwise_planes_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                                     const float *b, const float *r, float *y, float *mean)
{
    dlk_depthwise_task t;
    t.p = p;
    t.x = x;
    t.w = w;
    t.b = b;
    t.r = r;
    t.y = y;
    t.mean = mean;
    if (par != NULL && dlk_depthwise_splits_rows(p, par->threads, mean != NULL))
        dlk_parallel_for(par, dlk_depthwise_rows_run_f32, &t, (p->out[0] + 3) / 4);
    else
        dlk_parallel_for(par, dlk_depthwise_run_f32, &t, p->n * p->c_out);
}
/*@end*/

/*@ dlk_depthwise_f32 : dlk_depthwise_body_f32 */
/* ONNX Conv with rank 2, group == c_in (each output channel reads the input
 * channel oc / (c_out / group)) and kernel[1] <= DLK_DEPTHWISE_MAX_KW; r is
 * the residual or NULL. y must not overlap x or r. */
static void dlk_depthwise_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                              const float *b, const float *r, float *y)
{
    dlk_depthwise_planes_f32(par, p, x, w, b, r, y, NULL);
}
/*@end*/

/*@ dlk_depthwise_mean_f32 : dlk_depthwise_body_f32 */
/* The same, and mean (N x C_out) = each output plane's mean, taken while
 * the plane is in cache: a GlobalAveragePool that reads y (squeeze-
 * excitation), fused by passes/fuse_epilogue.c (fuse-mean), with that
 * kernel's summation (dlk_plane_mean_f32): the same bits. */
static void dlk_depthwise_mean_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                                   const float *b, const float *r, float *y, float *mean)
{
    dlk_depthwise_planes_f32(par, p, x, w, b, r, y, mean);
}
/*@end*/

#endif
