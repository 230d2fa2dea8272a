/* The NCHW16c kernels (runtime/kernels/blocked.h) against a direct
 * convolution written here from the ONNX definition: the reorders both
 * ways (lanes past C zero), and dlk_conv16_f32 on random shapes (channel
 * counts on and off the 16 boundary, 1..5 kernels, strides 1..3,
 * dilations 1..2, asymmetric pads, rows from 1 to 40 wide so that tiles of
 * one and of two rows, whole and ragged, guarded and not, all run), every
 * epilogue kind with and without a residual, one image or two, split over
 * 1..3 threads, a third of them with an input channel scale
 * (dlk_conv16_scaled_f32); dlk_dw16_f32 (depthwise) the same way, half of
 * them with the planes' means (dlk_dw16_mean_f32). Built twice:
 * portable, and -march=native (the AVX-512 tiles). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/blocked.h"
#include "sequential_pool.h"

static unsigned seed = 12345u;

static int rnd(int lo, int hi)
{
    seed = seed * 1664525u + 1013904223u;
    return lo + (int)((seed >> 8) % (unsigned)(hi - lo + 1));
}

static float frand(void)
{
    return (float)rnd(0, 65535) / 32768.0f - 1.0f;
}

static float *floats(int64_t n)
{
    float *v = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    ck_assert_ptr_nonnull(v);
    for (int64_t i = 0; i < n; i++)
        v[i] = frand();
    return v;
}

START_TEST(test_reorder_round_trip)
{
    for (int it = 0; it < 60; it++) {
        const int64_t n = rnd(1, 2), c = rnd(1, 40), hw = rnd(1, 70), cb = dlk_blocks16(c);
        dlk_par par = {rnd(1, 3), sequential_run, NULL};
        float *x = floats(n * c * hw), *b = floats(n * cb * hw * 16), *y = floats(n * c * hw);
        dlk_to_blocked_f32(&par, n, c, hw, x, b);
        for (int64_t i = 0; i < n; i++)
            for (int64_t ch = 0; ch < cb * 16; ch++)
                for (int64_t p = 0; p < hw; p++) {
                    const float got = b[((i * cb + ch / 16) * hw + p) * 16 + ch % 16];
                    const float want = ch < c ? x[(i * c + ch) * hw + p] : 0.0f;
                    ck_assert_msg(got == want, "c %d hw %d: image %d channel %d pixel %d: %g, expected %g", (int)c,
                                  (int)hw, (int)i, (int)ch, (int)p, (double)got, (double)want);
                }
        dlk_from_blocked_f32(&par, n, c, hw, b, y);
        ck_assert_int_eq(memcmp(x, y, sizeof(float) * (size_t)(n * c * hw)), 0);
        free(x);
        free(b);
        free(y);
    }
}
END_TEST

/* y = conv(x, w) + b, then the epilogue, in NCHW: the ONNX definition
 * (group p->group: output channel o reads the input channels of its group). */
static void reference(const dlk_conv_params *p, const float *x, const float *w, const float *b, const float *r,
                      float *y)
{
    const int64_t cig = p->c_in / p->group, cog = p->c_out / p->group;
    for (int64_t i = 0; i < p->n; i++)
        for (int64_t o = 0; o < p->c_out; o++)
            for (int64_t oh = 0; oh < p->out[0]; oh++)
                for (int64_t ow = 0; ow < p->out[1]; ow++) {
                    double acc = b ? b[o] : 0.0;
                    const int64_t at = ((i * p->c_out + o) * p->out[0] + oh) * p->out[1] + ow;
                    float v;
                    for (int64_t c = o / cog * cig; c < (o / cog + 1) * cig; c++)
                        for (int64_t kh = 0; kh < p->kernel[0]; kh++)
                            for (int64_t kw = 0; kw < p->kernel[1]; kw++) {
                                const int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
                                const int64_t iw = ow * p->strides[1] - p->pads[1] + kw * p->dilations[1];
                                if (ih < 0 || ih >= p->in[0] || iw < 0 || iw >= p->in[1])
                                    continue;
                                acc += (double)x[((i * p->c_in + c) * p->in[0] + ih) * p->in[1] + iw] *
                                       w[((o * cig + c % cig) * p->kernel[0] + kh) * p->kernel[1] + kw];
                            }
                    v = (float)acc;
                    dlk_epilogue_f32(&p->ep, &v, r ? r + at : NULL, 1);
                    y[at] = v;
                }
}

static const int64_t acts[] = {DLK_ACT_NONE, DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_SIGMOID, DLK_ACT_LEAKY,
                               DLK_ACT_SILU};

/* Random pads, strides, dilations and input sizes (rows up to max_w wide)
 * for p's kernel sizes; a window that does not fit is padded until it does. */
static void random_geometry(dlk_conv_params *p, int max_h, int max_w)
{
    for (int a = 0; a < 2; a++) {
        p->strides[a] = rnd(1, 3);
        p->dilations[a] = rnd(1, 4) == 4 ? 2 : 1;
        p->pads[a] = rnd(0, 2);
        p->pads[2 + a] = rnd(0, 2);
        p->in[a] = rnd(1, a == 1 ? max_w : max_h);
        p->out[a] = dlk_conv_out_dim(p->in[a], p->kernel[a], p->strides[a], p->dilations[a], p->pads[a], p->pads[2 + a]);
        if (p->out[a] < 1) {
            p->pads[a] = p->pads[2 + a] = (p->kernel[a] - 1) * p->dilations[a];
            p->out[a] = dlk_conv_out_dim(p->in[a], p->kernel[a], p->strides[a], p->dilations[a], p->pads[a],
                                         p->pads[2 + a]);
        }
    }
}

/* The lanes past C of blocked y (n x ceil(c/16) x plane x 16) are zero. */
static void check_zero_lanes(const float *yb, int64_t n, int64_t c, int64_t plane, int it)
{
    const int64_t cb = dlk_blocks16(c);
    for (int64_t i = 0; i < n * cb * 16 * plane; i++) {
        const int64_t ch = (i / (plane * 16)) % cb * 16 + i % 16;
        if (ch >= c)
            ck_assert_msg(yb[i] == 0.0f, "case %d: lane %d past C %d is %g", it, (int)ch, (int)c, (double)yb[i]);
    }
}

static void describe(char *buf, size_t size, const dlk_conv_params *p, int threads)
{
    snprintf(buf, size,
             "n %d, %d -> %d, group %d, in %dx%d, k %dx%d, s %dx%d, d %dx%d, pads %d %d %d %d, act %d, residual %d, "
             "%d threads",
             (int)p->n, (int)p->c_in, (int)p->c_out, (int)p->group, (int)p->in[0], (int)p->in[1], (int)p->kernel[0],
             (int)p->kernel[1], (int)p->strides[0], (int)p->strides[1], (int)p->dilations[0], (int)p->dilations[1],
             (int)p->pads[0], (int)p->pads[1], (int)p->pads[2], (int)p->pads[3], (int)p->ep.act, (int)p->ep.residual,
             threads);
}

/* Runs p (group 1: dlk_conv16_f32, or with scaled dlk_conv16_scaled_f32;
 * group = C: dlk_dw16_f32, or with mean dlk_dw16_mean_f32) on random data
 * in NCHW16c and checks it against the reference within tol (relative, plus
 * tol absolute), the lanes past C_out zero, and the means against the
 * reference output's. */
static void check_case(const dlk_conv_params *p, dlk_par *par, int it, float tol, int scaled, int with_mean)
{
    const int dw = p->group > 1 || with_mean;   /* one channel: group 1 is depthwise too */
    const int64_t cbi = dlk_blocks16(p->c_in), cbo = dlk_blocks16(p->c_out);
    const int64_t xs = p->n * p->c_in * p->in[0] * p->in[1], ys = p->n * p->c_out * p->out[0] * p->out[1];
    const int64_t ws = p->c_out * p->c_in / p->group * p->kernel[0] * p->kernel[1];
    float *x = floats(xs), *w = floats(ws), *b = rnd(0, 3) ? floats(p->c_out) : NULL;
    float *r = p->ep.residual ? floats(ys) : NULL, *bp = calloc((size_t)cbo * 16, sizeof(float));
    float *xb = floats(p->n * cbi * 16 * p->in[0] * p->in[1]);
    float *wb = floats((dw ? cbo * 16 : cbo * cbi * 256) * p->kernel[0] * p->kernel[1]);
    float *rb = floats(p->n * cbo * 16 * p->out[0] * p->out[1]), *yb = floats(p->n * cbo * 16 * p->out[0] * p->out[1]);
    float *y = floats(ys), *want = floats(ys), *sc = floats(p->c_in), *xs_ = floats(xs), *mean = floats(p->n * p->c_out);
    char what[256];
    for (int64_t i = 0; i < xs; i++)   /* the reference reads the scaled input */
        xs_[i] = scaled ? x[i] * sc[i / (p->in[0] * p->in[1]) % p->c_in] : x[i];
    if (b)
        memcpy(bp, b, sizeof(float) * (size_t)p->c_out);
    dlk_to_blocked_f32(NULL, p->n, p->c_in, p->in[0] * p->in[1], x, xb);
    if (r)
        dlk_to_blocked_f32(NULL, p->n, p->c_out, p->out[0] * p->out[1], r, rb);
    if (dw) {
        dlk_dw16_weights_f32(p->c_out, p->kernel[0], p->kernel[1], w, wb);
        if (with_mean)
            dlk_dw16_mean_f32(par, p, xb, wb, b ? bp : NULL, r ? rb : NULL, yb, mean);
        else
            dlk_dw16_f32(par, p, xb, wb, b ? bp : NULL, r ? rb : NULL, yb);
    } else {
        dlk_conv16_weights_f32(p->c_out, p->c_in, p->kernel[0], p->kernel[1], w, wb);
        if (scaled)
            dlk_conv16_scaled_f32(par, p, xb, wb, b ? bp : NULL, r ? rb : NULL, sc, yb);
        else
            dlk_conv16_f32(par, p, xb, wb, b ? bp : NULL, r ? rb : NULL, yb);
    }
    reference(p, xs_, w, b, r, want);
    check_zero_lanes(yb, p->n, p->c_out, p->out[0] * p->out[1], it);
    dlk_from_blocked_f32(NULL, p->n, p->c_out, p->out[0] * p->out[1], yb, y);
    describe(what, sizeof what, p, par->threads);
    for (int64_t i = 0; i < ys; i++)
        ck_assert_msg(fabsf(y[i] - want[i]) <= tol * (1.0f + fabsf(want[i])), "case %d (%s): y[%d] = %g, expected %g", it,
                      what, (int)i, (double)y[i], (double)want[i]);
    for (int64_t c = 0; with_mean && c < p->n * p->c_out; c++) {
        const int64_t pixels = p->out[0] * p->out[1];
        double m = 0.0;
        for (int64_t q = 0; q < pixels; q++)
            m += want[c * pixels + q];
        m /= (double)pixels;
        ck_assert_msg(fabs(mean[c] - m) <= tol * (1.0 + fabs(m)), "case %d (%s): mean %d = %g, expected %g", it, what,
                      (int)c, (double)mean[c], m);
    }
    free(sc);
    free(xs_);
    free(mean);
    free(x);
    free(w);
    free(b);
    free(r);
    free(bp);
    free(xb);
    free(wb);
    free(rb);
    free(yb);
    free(y);
    free(want);
}

/* A random epilogue: every activation kind, residual none / before / after. */
static void random_epilogue(dlk_epilogue *e)
{
    e->act = acts[rnd(0, 5)];
    e->alpha = e->act == DLK_ACT_CLIP ? -0.5f : e->act == DLK_ACT_SILU ? 1.0f : 0.1f;
    e->beta = 0.75f;
    e->residual = rnd(0, 2);
}

START_TEST(test_conv16_random)
{
    for (int it = 0; it < 400; it++) {
        dlk_conv_params p;
        dlk_par par = {rnd(1, 3), sequential_run, NULL};
        const int wide = it % 4 == 0;
        memset(&p, 0, sizeof p);
        p.n = rnd(1, 2);
        p.c_in = rnd(1, 40);
        p.c_out = rnd(1, 50);
        p.group = 1;
        p.rank = 2;
        p.kernel[0] = rnd(1, 5);
        p.kernel[1] = rnd(1, 5);
        random_geometry(&p, 16, wide ? 48 : 16);
        random_epilogue(&p.ep);
        check_case(&p, &par, it, 1e-4f, rnd(0, 2) == 0, 0);
    }
}
END_TEST

/* dlk_dw16_f32 (group = C) against the reference: 1..5 x 1..5 windows,
 * strides 1..3, dilations 1..2, asymmetric pads, channel counts on and off
 * the 16 boundary, rows up to 40 wide (tiles of 14 whole and ragged, and
 * the buffer's several runs of rows on tall planes) and, one case in ten,
 * rows too wide for the buffer (the portable loop); every epilogue kind,
 * residual before / after the activation, 1..2 images, 1..3 threads. */
START_TEST(test_dw16_random)
{
    for (int it = 0; it < 400; it++) {
        dlk_conv_params p;
        dlk_par par = {rnd(1, 3), sequential_run, NULL};
        memset(&p, 0, sizeof p);
        p.n = rnd(1, 2);
        p.c_in = p.c_out = p.group = rnd(1, 40);
        p.rank = 2;
        p.kernel[0] = rnd(1, 5);
        p.kernel[1] = rnd(1, 5);
        random_geometry(&p, it % 5 == 0 ? 90 : 16, it % 10 == 0 ? 400 : 40);
        random_epilogue(&p.ep);
        check_case(&p, &par, it, 1e-5f, 0, rnd(0, 1));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_blocked");
    TCase *tc = tcase_create("nchw16c");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reorder_round_trip);
    tcase_add_test(tc, test_conv16_random);
    tcase_add_test(tc, test_dw16_random);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
