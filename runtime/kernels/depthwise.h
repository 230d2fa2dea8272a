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

/*@ dlk_depthwise_f32 : dlk_conv_params dlk_conv_range dlk_epilogue_f32 dlk_parallel */
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
            const __mmask16 m = ow_n - o >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ow_n - o)) - 1u);
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

#if defined(__AVX512F__)
/* Stride 2 along the width (any row stride, dilation 1), AVX-512 only: the
 * band's padded rows are split into their even and odd columns, so output
 * column o and tap kw read column o + kw/2 of phase kw%2: contiguous loads
 * again, 16 outputs per register. Each phase row is half a padded row. */
static int dlk_depthwise_banded_s2(const dlk_conv_params *p)
{
    const int64_t wp = p->in[1] + p->pads[1] + p->pads[3];
    return p->strides[1] == 2 && p->dilations[0] == 1 && p->dilations[1] == 1 &&
           p->kernel[0] * p->kernel[1] <= DLK_DEPTHWISE_MAX_TAPS && (wp + 1) * p->kernel[0] <= DLK_DEPTHWISE_BAND;
}

static void dlk_depthwise_plane_s2_f32(const dlk_conv_params *p, const float *x, const float *w, float bias,
                                       const float *r, float *y)
{
    float xb[DLK_DEPTHWISE_BAND];
    const int64_t ih_n = p->in[0], iw_n = p->in[1], oh_n = p->out[0], ow_n = p->out[1];
    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1], sh = p->strides[0], pt = p->pads[0];
    const int64_t pl = p->pads[1], wp = iw_n + pl + p->pads[3], half = (wp + 1) / 2;
    const int64_t rows = ((DLK_DEPTHWISE_BAND / (2 * half)) - kh_n) / sh + 1;   /* output rows per band */
    const __m512i even_idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd_idx = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    int64_t oh0, nb, i, j, kh, kw, o;
    for (oh0 = 0; oh0 < oh_n; oh0 += nb) {
        const int64_t first = oh0 * sh - pt;   /* the band's first input row */
        int64_t in_rows;
        nb = oh_n - oh0 < rows ? oh_n - oh0 : rows;
        in_rows = (nb - 1) * sh + kh_n;
        for (i = 0; i < in_rows; i++) {   /* row i: even columns at xb + 2i half, odd at + half */
            const int64_t ih = first + i;
            float *ev = xb + 2 * i * half, *od = ev + half;
            memset(ev, 0, sizeof(float) * (size_t)(2 * half));
            if (ih < 0 || ih >= ih_n)
                continue;
            {
                const float *xr = x + ih * iw_n;
                /* x[j] goes to column c = j + pl: phase c % 2, place c / 2 */
                float *to_even_j = pl % 2 ? od : ev, *to_odd_j = pl % 2 ? ev : od;
                const int64_t shift_even = pl / 2, shift_odd = (pl + 1) / 2;
                for (j = 0; j + 32 <= iw_n; j += 32) {
                    const __m512 v0 = _mm512_loadu_ps(xr + j), v1 = _mm512_loadu_ps(xr + j + 16);
                    _mm512_storeu_ps(to_even_j + j / 2 + shift_even, _mm512_permutex2var_ps(v0, even_idx, v1));
                    _mm512_storeu_ps(to_odd_j + j / 2 + shift_odd, _mm512_permutex2var_ps(v0, odd_idx, v1));
                }
                for (; j < iw_n; j++) {
                    const int64_t c = j + pl;
                    (c % 2 ? od : ev)[c / 2] = xr[j];
                }
            }
        }
        for (i = 0; i < nb; i++)
            for (o = 0; o < ow_n; o += 16) {
                const __mmask16 m = ow_n - o >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ow_n - o)) - 1u);
                __m512 acc = _mm512_set1_ps(bias);
                for (kh = 0; kh < kh_n; kh++) {
                    const float *ev = xb + 2 * (i * sh + kh) * half;
                    for (kw = 0; kw < kw_n; kw++)
                        acc = _mm512_fmadd_ps(_mm512_set1_ps(w[kh * kw_n + kw]),
                                              _mm512_maskz_loadu_ps(m, ev + (kw % 2) * half + o + kw / 2), acc);
                }
                _mm512_mask_storeu_ps(y + (oh0 + i) * ow_n + o, m, acc);
            }
        dlk_epilogue_f32(&p->ep, y + oh0 * ow_n, r != NULL ? r + oh0 * ow_n : NULL, nb * ow_n);
    }
}
#endif

typedef struct dlk_depthwise_task {
    const dlk_conv_params *p;
    const float *x, *w, *b, *r;
    float *y;
} dlk_depthwise_task;

/* Items are (image, output channel) planes. */
static void dlk_depthwise_run_f32(void *arg, int64_t begin, int64_t end)
{
    const dlk_depthwise_task *t = (const dlk_depthwise_task *)arg;
    const dlk_conv_params *p = t->p;
    const int64_t in_plane = p->in[0] * p->in[1], out_plane = p->out[0] * p->out[1];
    const int64_t ksize = p->kernel[0] * p->kernel[1], per_group = p->c_out / p->group;
    const int banded = dlk_depthwise_banded(p);
#if defined(__AVX512F__)
    const int banded_s2 = dlk_depthwise_banded_s2(p);
#endif
    int64_t item;
    for (item = begin; item < end; item++) {
        const int64_t img = item / p->c_out, oc = item % p->c_out, ic = oc / per_group;
        const int64_t y_off = (img * p->c_out + oc) * out_plane;
        const float *x = t->x + (img * p->c_in + ic) * in_plane, *r = t->r != NULL ? t->r + y_off : NULL;
        const float bias = t->b != NULL ? t->b[oc] : 0.0f;
        if (banded)
            dlk_depthwise_plane_s1_f32(p, x, t->w + oc * ksize, bias, r, t->y + y_off);
#if defined(__AVX512F__)
        else if (banded_s2)
            dlk_depthwise_plane_s2_f32(p, x, t->w + oc * ksize, bias, r, t->y + y_off);
#endif
        else
            dlk_depthwise_plane_f32(p, x, t->w + oc * ksize, bias, r, t->y + y_off);
    }
}

/* ONNX Conv with rank 2, group == c_in (each output channel reads the input
 * channel oc / (c_out / group)) and kernel[1] <= DLK_DEPTHWISE_MAX_KW; r is
 * the residual or NULL. y must not overlap x or r. */
static void dlk_depthwise_f32(const dlk_par *par, const dlk_conv_params *p, const float *x, const float *w,
                              const float *b, const float *r, float *y)
{
    dlk_depthwise_task t;
    t.p = p;
    t.x = x;
    t.w = w;
    t.b = b;
    t.r = r;
    t.y = y;
    dlk_parallel_for(par, dlk_depthwise_run_f32, &t, p->n * p->c_out);
}
/*@end*/

#endif
