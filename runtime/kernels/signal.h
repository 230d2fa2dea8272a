/* Kernels of ir/ops/signal.c: DFT, STFT, the Hann/Hamming/Blackman windows
 * and MelWeightMatrix. Complex numbers are float pairs (re, im) in a
 * trailing dimension of 2. The transforms are direct O(n^2) sums in double
 * with twiddles taken at (j * k mod n), which keeps them exact enough for
 * any length (no power-of-two restriction). */
#ifndef DLK_SIGNAL_H
#define DLK_SIGNAL_H

#include "common.h"

/*@ dlk_signal_twiddle */
/* cos and sin of 2*pi*j*k/n, the product reduced mod n first so that large
 * products lose no precision. */
static void dlk_signal_twiddle(int64_t j, int64_t k, int64_t n, double *c, double *s)
{
    double a = 6.283185307179586476925 * (double)((j * k) % n) / (double)n;
    *c = cos(a);
    *s = sin(a);
}
/*@end*/

/*@ dlk_fft_c32 : dlk_signal_twiddle */
/* A float32 mixed-radix FFT (radix 2, 3, 4, 5) that follows pocketfft's
 * complex transform step by step (numpy's FFT, which the ONNX reference
 * and test data use): the same factor order, butterflies and twiddles,
 * so that even its rounding matches. Lengths it does not cover (a factor
 * 8 or a prime above 5, or longer than DLK_FFT_MAX) are left to the
 * direct double-precision sum in dlk_dft_f32. */
#define DLK_FFT_MAX 1024
typedef struct dlk_cpx32 {
    float r, i;
} dlk_cpx32;

/* pocketfft's factors of n: a 4 while n has one (no 8 here), one 2 moved
 * to the front, then 3s and 5s. Returns the count, 0 if not covered. */
static int dlk_fft_factor(int64_t n, int64_t *fact)
{
    int64_t len = n, t;
    int k = 0;
    if (n < 2 || n > DLK_FFT_MAX || n % 8 == 0)
        return 0;
    while (len % 4 == 0) {
        fact[k++] = 4;
        len /= 4;
    }
    if (len % 2 == 0) {
        len /= 2;
        fact[k++] = 2;
        t = fact[0];
        fact[0] = fact[k - 1];
        fact[k - 1] = t;
    }
    while (len % 3 == 0) {
        fact[k++] = 3;
        len /= 3;
    }
    while (len % 5 == 0) {
        fact[k++] = 5;
        len /= 5;
    }
    return len == 1 ? k : 0;
}

static dlk_cpx32 dlk_fft_tw(int64_t idx, int64_t n)
{
    double c, s;
    dlk_cpx32 w;
    dlk_signal_twiddle(idx, 1, n, &c, &s);
    w.r = (float)c;
    w.i = (float)s;
    return w;
}

static dlk_cpx32 dlk_cpx_add(dlk_cpx32 a, dlk_cpx32 b)
{
    dlk_cpx32 r;
    r.r = a.r + b.r;
    r.i = a.i + b.i;
    return r;
}

static dlk_cpx32 dlk_cpx_sub(dlk_cpx32 a, dlk_cpx32 b)
{
    dlk_cpx32 r;
    r.r = a.r - b.r;
    r.i = a.i - b.i;
    return r;
}

/* v times conj(w) forward, v times w inverse (pocketfft's special_mul). */
static dlk_cpx32 dlk_fft_mul(dlk_cpx32 v, dlk_cpx32 w, int fwd)
{
    dlk_cpx32 r;
    if (fwd) {
        r.r = v.r * w.r + v.i * w.i;
        r.i = v.i * w.r - v.r * w.i;
    } else {
        r.r = v.r * w.r - v.i * w.i;
        r.i = v.r * w.i + v.i * w.r;
    }
    return r;
}

/* Element (a, b, c) of the pass input (b < ip) and output (b < l1). */
#define DLK_FFT_CC(a, b, c) cc[(a) + ido * ((b) + ip * (c))]
#define DLK_FFT_CH(a, b, c) ch[(a) + ido * ((b) + l1 * (c))]

/* Output u of a butterfly at (i, k): untwiddled for i == 0. */
static void dlk_fft_put(dlk_cpx32 *ch, int64_t ido, int64_t l1, int64_t n, int64_t i, int64_t k, int64_t u,
                        dlk_cpx32 v, int fwd)
{
    DLK_FFT_CH(i, k, u) = i == 0 ? v : dlk_fft_mul(v, dlk_fft_tw(u * l1 * i, n), fwd);
}

static void dlk_fft_pass2(int64_t ido, int64_t l1, int64_t n, const dlk_cpx32 *cc, dlk_cpx32 *ch, int fwd)
{
    const int64_t ip = 2;
    int64_t k, i;
    for (k = 0; k < l1; k++)
        for (i = 0; i < ido; i++) {
            DLK_FFT_CH(i, k, 0) = dlk_cpx_add(DLK_FFT_CC(i, 0, k), DLK_FFT_CC(i, 1, k));
            dlk_fft_put(ch, ido, l1, n, i, k, 1, dlk_cpx_sub(DLK_FFT_CC(i, 0, k), DLK_FFT_CC(i, 1, k)), fwd);
        }
}

static void dlk_fft_pass3(int64_t ido, int64_t l1, int64_t n, const dlk_cpx32 *cc, dlk_cpx32 *ch, int fwd)
{
    const int64_t ip = 3;
    const float twr = -0.5f, twi = (fwd ? -1.0f : 1.0f) * 0.8660254037844386467637f;
    int64_t k, i;
    for (k = 0; k < l1; k++)
        for (i = 0; i < ido; i++) {
            dlk_cpx32 t0 = DLK_FFT_CC(i, 0, k), t1, t2, ca, cb;
            t1 = dlk_cpx_add(DLK_FFT_CC(i, 1, k), DLK_FFT_CC(i, 2, k));
            t2 = dlk_cpx_sub(DLK_FFT_CC(i, 1, k), DLK_FFT_CC(i, 2, k));
            DLK_FFT_CH(i, k, 0) = dlk_cpx_add(t0, t1);
            ca.r = t0.r + t1.r * twr;
            ca.i = t0.i + t1.i * twr;
            cb.r = -t2.i * twi;
            cb.i = t2.r * twi;
            dlk_fft_put(ch, ido, l1, n, i, k, 1, dlk_cpx_add(ca, cb), fwd);
            dlk_fft_put(ch, ido, l1, n, i, k, 2, dlk_cpx_sub(ca, cb), fwd);
        }
}

static void dlk_fft_pass4(int64_t ido, int64_t l1, int64_t n, const dlk_cpx32 *cc, dlk_cpx32 *ch, int fwd)
{
    const int64_t ip = 4;
    int64_t k, i;
    for (k = 0; k < l1; k++)
        for (i = 0; i < ido; i++) {
            dlk_cpx32 t1, t2, t3, t4;
            float tmp;
            t2 = dlk_cpx_add(DLK_FFT_CC(i, 0, k), DLK_FFT_CC(i, 2, k));
            t1 = dlk_cpx_sub(DLK_FFT_CC(i, 0, k), DLK_FFT_CC(i, 2, k));
            t3 = dlk_cpx_add(DLK_FFT_CC(i, 1, k), DLK_FFT_CC(i, 3, k));
            t4 = dlk_cpx_sub(DLK_FFT_CC(i, 1, k), DLK_FFT_CC(i, 3, k));
            tmp = fwd ? -t4.r : t4.r;       /* t4 times -i (forward) or i */
            t4.r = fwd ? t4.i : -t4.i;
            t4.i = tmp;
            DLK_FFT_CH(i, k, 0) = dlk_cpx_add(t2, t3);
            dlk_fft_put(ch, ido, l1, n, i, k, 1, dlk_cpx_add(t1, t4), fwd);
            dlk_fft_put(ch, ido, l1, n, i, k, 2, dlk_cpx_sub(t2, t3), fwd);
            dlk_fft_put(ch, ido, l1, n, i, k, 3, dlk_cpx_sub(t1, t4), fwd);
        }
}

/* One radix-5 output pair (u1, u2) of pocketfft's pass5. */
static void dlk_fft_step5(dlk_cpx32 *ch, int64_t ido, int64_t l1, int64_t n, int64_t i, int64_t k, int64_t u1,
                          int64_t u2, const dlk_cpx32 *t, float twar, float twbr, float twai, float twbi, int fwd)
{
    dlk_cpx32 ca, cb;
    ca.r = t[0].r + twar * t[1].r + twbr * t[2].r;
    ca.i = t[0].i + twar * t[1].i + twbr * t[2].i;
    cb.i = twai * t[4].r + twbi * t[3].r;
    cb.r = -(twai * t[4].i + twbi * t[3].i);
    dlk_fft_put(ch, ido, l1, n, i, k, u1, dlk_cpx_add(ca, cb), fwd);
    dlk_fft_put(ch, ido, l1, n, i, k, u2, dlk_cpx_sub(ca, cb), fwd);
}

static void dlk_fft_pass5(int64_t ido, int64_t l1, int64_t n, const dlk_cpx32 *cc, dlk_cpx32 *ch, int fwd)
{
    const int64_t ip = 5;
    const float sg = fwd ? -1.0f : 1.0f;
    const float tw1r = 0.3090169943749474241023f, tw1i = sg * 0.9510565162951535721164f;
    const float tw2r = -0.8090169943749474241023f, tw2i = sg * 0.5877852522924731291687f;
    int64_t k, i;
    for (k = 0; k < l1; k++)
        for (i = 0; i < ido; i++) {
            dlk_cpx32 t[5];
            t[0] = DLK_FFT_CC(i, 0, k);
            t[1] = dlk_cpx_add(DLK_FFT_CC(i, 1, k), DLK_FFT_CC(i, 4, k));
            t[4] = dlk_cpx_sub(DLK_FFT_CC(i, 1, k), DLK_FFT_CC(i, 4, k));
            t[2] = dlk_cpx_add(DLK_FFT_CC(i, 2, k), DLK_FFT_CC(i, 3, k));
            t[3] = dlk_cpx_sub(DLK_FFT_CC(i, 2, k), DLK_FFT_CC(i, 3, k));
            DLK_FFT_CH(i, k, 0).r = t[0].r + t[1].r + t[2].r;
            DLK_FFT_CH(i, k, 0).i = t[0].i + t[1].i + t[2].i;
            dlk_fft_step5(ch, ido, l1, n, i, k, 1, 4, t, tw1r, tw2r, tw1i, tw2i, fwd);
            dlk_fft_step5(ch, ido, l1, n, i, k, 2, 3, t, tw2r, tw1r, tw2i, -tw1i, fwd);
        }
}
#undef DLK_FFT_CC
#undef DLK_FFT_CH

/* In-place transform of a[n] (nf factors from dlk_fft_factor), b is
 * scratch of n; the result is scaled by fct when fct != 1. */
static void dlk_fft_c32(dlk_cpx32 *a, dlk_cpx32 *b, int64_t n, const int64_t *fact, int nf, int fwd, float fct)
{
    dlk_cpx32 *p1 = a, *p2 = b, *t;
    int64_t l1 = 1, i;
    int f;
    for (f = 0; f < nf; f++) {
        int64_t ip = fact[f], ido = n / (l1 * ip);
        if (ip == 2)
            dlk_fft_pass2(ido, l1, n, p1, p2, fwd);
        else if (ip == 3)
            dlk_fft_pass3(ido, l1, n, p1, p2, fwd);
        else if (ip == 4)
            dlk_fft_pass4(ido, l1, n, p1, p2, fwd);
        else
            dlk_fft_pass5(ido, l1, n, p1, p2, fwd);
        t = p1;
        p1 = p2;
        p2 = t;
        l1 *= ip;
    }
    for (i = 0; i < n; i++) {
        dlk_cpx32 v = p1[i];
        if (fct != 1.0f) {
            v.r = v.r * fct;
            v.i = v.i * fct;
        }
        a[i] = v;
    }
}
/*@end*/

/*@ dlk_dft_params */
/* x is (outer, n_in, inner, in_c) with in_c 1 (real) or 2 (complex); the
 * transform of length len runs along n_in (cropped or zero-padded to len).
 * y is (outer, out_n, inner, 2), or (outer, len, inner, 1) when real_out
 * (inverse of a one-sided spectrum: out_n is len). */
typedef struct dlk_dft_params {
    int64_t outer, n_in, inner, in_c;
    int64_t len, out_n;
    int64_t inverse, real_out;
} dlk_dft_params;
/*@end*/

/*@ dlk_dft_fft_f32 : dlk_dft_params dlk_fft_c32 */
/* dlk_dft_f32 for a full complex spectrum of a length dlk_fft_c32 covers:
 * each signal is gathered (zero-padded or cropped to len), transformed in
 * float32, and scattered to y. */
static void dlk_dft_fft_f32(const dlk_dft_params *p, const float *x, float *y, const int64_t *fact, int nf)
{
    dlk_cpx32 a[DLK_FFT_MAX], b[DLK_FFT_MAX];
    int64_t o, i, j, nj = p->n_in < p->len ? p->n_in : p->len;
    float fct = p->inverse ? (float)(1.0 / (double)p->len) : 1.0f;
    for (o = 0; o < p->outer; o++) {
        for (i = 0; i < p->inner; i++) {
            const float *xs = x + (o * p->n_in * p->inner + i) * p->in_c;
            float *ys = y + (o * p->out_n * p->inner + i) * 2;
            for (j = 0; j < p->len; j++) {
                a[j].r = j < nj ? xs[j * p->inner * p->in_c] : 0.0f;
                a[j].i = j < nj && p->in_c == 2 ? xs[j * p->inner * p->in_c + 1] : 0.0f;
            }
            dlk_fft_c32(a, b, p->len, fact, nf, !p->inverse, fct);
            for (j = 0; j < p->len; j++) {
                ys[j * p->inner * 2] = a[j].r;
                ys[j * p->inner * 2 + 1] = a[j].i;
            }
        }
    }
}
/*@end*/

/*@ dlk_dft_f32 : dlk_dft_params dlk_signal_twiddle dlk_dft_fft_f32 */
/* Forward: Y[k] = sum_j x[j] e^(-2 pi i jk/len); inverse: the + sign and
 * a 1/len factor. real_out: x holds bins 0..len/2 of a Hermitian spectrum;
 * y[t] = (1/len) sum_k w_k Re(X[k] e^(2 pi i kt/len)), w_k 1 for the bins
 * that are their own mirror (0 and len/2) and 2 for the others (numpy's
 * irfft, which ignores their imaginary parts too). An inverse to a full
 * complex signal of a length dlk_fft_c32 covers goes through it instead:
 * numpy (the ONNX reference) rounds its forward complex64 transform like
 * a double-precision one but runs the inverse in float32, and the test
 * data carries that rounding (values of 2e-7 where the exact result is 0,
 * above the 1e-7 tolerance). Checked bit for bit against numpy 2.4 for
 * lengths 2..500 built from 2, 3, 4 and 5. */
static void dlk_dft_f32(const dlk_dft_params *p, const float *x, float *y)
{
    int64_t o, i, j, k, fact[40];
    int64_t nj = p->n_in < p->len ? p->n_in : p->len;
    int nf = p->inverse && !p->real_out && p->out_n == p->len ? dlk_fft_factor(p->len, fact) : 0;
    if (nf > 0) {
        dlk_dft_fft_f32(p, x, y, fact, nf);
        return;
    }
    double sign = p->inverse ? 1.0 : -1.0, scale = p->inverse ? 1.0 / (double)p->len : 1.0;
    int64_t out_c = p->real_out ? 1 : 2;
    if (p->real_out)
        nj = p->n_in < p->len / 2 + 1 ? p->n_in : p->len / 2 + 1;
    for (o = 0; o < p->outer; o++) {
        for (i = 0; i < p->inner; i++) {
            const float *xs = x + (o * p->n_in * p->inner + i) * p->in_c;
            float *ys = y + (o * p->out_n * p->inner + i) * out_c;
            for (k = 0; k < p->out_n; k++) {
                double re = 0.0, im = 0.0;
                for (j = 0; j < nj; j++) {
                    const float *v = xs + j * p->inner * p->in_c;
                    double xr = v[0], xi = p->in_c == 2 ? v[1] : 0.0, c, s;
                    dlk_signal_twiddle(j, k, p->len, &c, &s);
                    s *= sign;
                    if (p->real_out) {
                        double w = (j == 0 || 2 * j == p->len) ? 1.0 : 2.0;
                        re += w * (xr * c - xi * s);
                    } else {
                        re += xr * c - xi * s;
                        im += xr * s + xi * c;
                    }
                }
                ys[k * p->inner * out_c] = (float)(re * scale);
                if (!p->real_out)
                    ys[k * p->inner * out_c + 1] = (float)(im * scale);
            }
        }
    }
}
/*@end*/

/*@ dlk_stft_params */
/* x is (batch, n, in_c); frames of len samples start every step samples
 * (frames of them); y is (batch, frames, bins, 2), bins being len/2 + 1
 * when one-sided and len otherwise. */
typedef struct dlk_stft_params {
    int64_t batch, n, in_c;
    int64_t step, len, frames, bins;
} dlk_stft_params;
/*@end*/

/*@ dlk_stft_f32 : dlk_stft_params dlk_signal_twiddle */
/* Y[b, f, k] = sum_j w[j] x[b, f*step + j] e^(-2 pi i jk/len); window w
 * may be NULL (all ones). */
static void dlk_stft_f32(const dlk_stft_params *p, const float *x, const float *window, float *y)
{
    int64_t b, f, k, j;
    for (b = 0; b < p->batch; b++) {
        for (f = 0; f < p->frames; f++) {
            const float *xs = x + (b * p->n + f * p->step) * p->in_c;
            float *ys = y + (b * p->frames + f) * p->bins * 2;
            for (k = 0; k < p->bins; k++) {
                double re = 0.0, im = 0.0;
                for (j = 0; j < p->len && f * p->step + j < p->n; j++) {
                    double w = window ? (double)window[j] : 1.0, c, s;
                    double xr = w * xs[j * p->in_c], xi = p->in_c == 2 ? w * xs[j * p->in_c + 1] : 0.0;
                    dlk_signal_twiddle(j, k, p->len, &c, &s);
                    re += xr * c + xi * s;
                    im += xi * c - xr * s;
                }
                ys[2 * k] = (float)re;
                ys[2 * k + 1] = (float)im;
            }
        }
    }
}
/*@end*/

/*@ dlk_window_f32 : dlk_common */
/* kind 0 Hann, 1 Hamming, 2 Blackman; a periodic window of size n divides
 * by n, a symmetric one by n - 1. Values in double, stored as float. */
static void dlk_window_f32(float *y, int64_t n, int64_t kind, int64_t periodic)
{
    int64_t i;
    double den = (double)(periodic ? n : n - 1);
    for (i = 0; i < n; i++) {
        double a = den > 0.0 ? 6.283185307179586476925 * (double)i / den : 0.0, v;
        if (kind == 0)
            v = 0.5 - 0.5 * cos(a);
        else if (kind == 1)
            v = 25.0 / 46.0 - (21.0 / 46.0) * cos(a);
        else
            v = 0.42 - 0.5 * cos(a) + 0.08 * cos(2.0 * a);
        y[i] = (float)v;
    }
}
/*@end*/

/*@ dlk_mel_weight_matrix_f32 : dlk_common */
/* y is (dft_length/2 + 1, mel_bins): triangular filters on the mel scale
 * (mel = 2595 log10(1 + hz/700)) between lower_hz and upper_hz, the edges
 * of mel_bins + 2 points equally spaced in mel, each mapped to the spectrum
 * bin floor((dft_length + 1) * hz / sample_rate). Same formula as the ONNX
 * reference implementation. */
static void dlk_mel_weight_matrix_f32(float *y, int64_t mel_bins, int64_t dft_length, int64_t sample_rate,
                                      float lower_hz, float upper_hz)
{
    int64_t bins = dft_length / 2 + 1, i, j;
    double lo = 2595.0 * log10(1.0 + (double)lower_hz / 700.0);
    double hi = 2595.0 * log10(1.0 + (double)upper_hz / 700.0);
    double step = (hi - lo) / (double)(mel_bins + 2);
    memset(y, 0, (size_t)(bins * mel_bins) * sizeof *y);
    for (i = 0; i < mel_bins; i++) {
        int64_t edge[3];
        for (j = 0; j < 3; j++) {
            double hz = 700.0 * (pow(10.0, ((double)(i + j) * step + lo) / 2595.0) - 1.0);
            edge[j] = (int64_t)floor((double)(dft_length + 1) * hz / (double)sample_rate);
        }
        if (edge[1] == edge[0]) {
            if (edge[1] >= 0 && edge[1] < bins)
                y[edge[1] * mel_bins + i] = 1.0f;
        } else {
            for (j = edge[0]; j <= edge[1]; j++)
                if (j >= 0 && j < bins)
                    y[j * mel_bins + i] = (float)((double)(j - edge[0]) / (double)(edge[1] - edge[0]));
        }
        if (edge[2] > edge[1])
            for (j = edge[1]; j < edge[2]; j++)
                if (j >= 0 && j < bins)
                    y[j * mel_bins + i] = (float)((double)(edge[2] - j) / (double)(edge[2] - edge[1]));
    }
}
/*@end*/

#endif
