/* The depthwise kernel (runtime/kernels/depthwise.h) against a naive direct
 * convolution written here (double sums, every tap bounds-checked), over
 * random shapes: kernel 1/3/5/7, stride 1/2/3, dilation 1/2, asymmetric
 * pads, channel multiplier 1 and 2, batch 1 and 2, planes from 1 to 2900
 * wide (the stride-1 path in one band, in several, or too wide for one),
 * 16 to 37 channels (the AVX-512 path that puts channels along the vector),
 * with and without bias,
 * activation (Relu, Clip, SiLU, Sigmoid) and residual; run with no thread context and with a 3-way
 * context whose shares run one after the other (every plane written once).
 * The variant that also writes each plane's mean (fuse-mean) must give the
 * same output and GlobalAveragePool's means of it, bit for bit. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/depthwise.h"

static uint32_t seed = 1;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

static int64_t pick(const int64_t *v, int n)
{
    seed = seed * 1664525u + 1013904223u;
    return v[((seed >> 8) & 0xFFFF) % (uint32_t)n];
}

/* A dlk_par whose run executes the shares in turn, counting calls. */
static int shares_run;

static void sequential_run(const dlk_par *par, dlk_task task, void *arg, int64_t n)
{
    for (int t = 0; t < par->threads; t++) {
        int64_t b, e;
        dlk_parallel_share(n, t, par->threads, &b, &e);
        if (e > b)
            task(arg, b, e);
        shares_run++;
    }
}

/* y = conv(x, w) + b, then the epilogue's formula, in double. */
static void reference(const dlk_conv_params *p, const float *x, const float *w, const float *b, const float *r,
                      double *y)
{
    int64_t per = p->c_out / p->group;
    for (int64_t n = 0; n < p->n; n++)
        for (int64_t oc = 0; oc < p->c_out; oc++)
            for (int64_t oh = 0; oh < p->out[0]; oh++)
                for (int64_t ow = 0; ow < p->out[1]; ow++) {
                    int64_t ic = oc / per, at = ((n * p->c_out + oc) * p->out[0] + oh) * p->out[1] + ow;
                    double s = b ? b[oc] : 0.0;
                    for (int64_t kh = 0; kh < p->kernel[0]; kh++)
                        for (int64_t kw = 0; kw < p->kernel[1]; kw++) {
                            int64_t ih = oh * p->strides[0] - p->pads[0] + kh * p->dilations[0];
                            int64_t iw = ow * p->strides[1] - p->pads[1] + kw * p->dilations[1];
                            if (ih < 0 || iw < 0 || ih >= p->in[0] || iw >= p->in[1])
                                continue;
                            s += (double)w[(oc * p->kernel[0] + kh) * p->kernel[1] + kw] *
                                 x[((n * p->c_in + ic) * p->in[0] + ih) * p->in[1] + iw];
                        }
                    if (r && p->ep.residual == DLK_RES_BEFORE_ACT)
                        s += r[at];
                    if (p->ep.act == DLK_ACT_RELU)
                        s = s > 0 ? s : 0;
                    else if (p->ep.act == DLK_ACT_CLIP)
                        s = s < p->ep.alpha ? p->ep.alpha : (s > p->ep.beta ? p->ep.beta : s);
                    else if (p->ep.act == DLK_ACT_SILU)
                        s = s / (1.0 + exp(-(double)p->ep.alpha * s));
                    else if (p->ep.act == DLK_ACT_SIGMOID)
                        s = 1.0 / (1.0 + exp(-s));
                    if (r && p->ep.residual == DLK_RES_AFTER_ACT)
                        s += r[at];
                    y[at] = s;
                }
}

static void check_params(const dlk_conv_params *pp, int trial);

/* large: planes big enough that the stride-1 path works in several bands
 * of rows (and some too wide for a band, which take the row path).
 * wide: 16 to 37 channels on planes up to 61 rows, so the AVX-512 path with
 * channels along the vector runs whole groups of 16 and a partial one, in
 * one tile or in bands of rows, and thread shares start inside a group. */
static void one_case(int trial, int large, int wide)
{
    static const int64_t ks[] = {1, 3, 3, 5, 7}, ss[] = {1, 1, 2, 3}, ds[] = {1, 1, 2}, ps[] = {0, 1, 2, 3};
    static const int64_t small_sizes[] = {1, 5, 8, 13, 17, 30}, large_sizes[] = {90, 150, 201, 2900};
    static const int64_t wide_sizes[] = {5, 7, 13, 30, 61}, wide_channels[] = {16, 21, 37};
    /* Relu, Clip, SiLU and Sigmoid go into the registers unless there is a residual */
    static const int acts[] = {DLK_ACT_NONE, DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_SILU, DLK_ACT_SIGMOID};
    const int64_t *sizes = large ? large_sizes : wide ? wide_sizes : small_sizes;
    const int n_sizes = large ? 4 : wide ? 5 : 6;
    dlk_conv_params p;
    memset(&p, 0, sizeof p);
    p.rank = 2;
    p.n = large ? 1 : 1 + trial % 2;
    p.c_in = p.group = large ? 1 + trial % 2 : 1 + trial % 5;
    p.c_out = p.c_in * (trial % 3 == 2 ? 2 : 1);
    if (wide)
        p.c_in = p.group = p.c_out = pick(wide_channels, 3);
    for (int a = 0; a < 2; a++) {
        p.kernel[a] = pick(ks, 5);
        p.strides[a] = large ? 1 + trial % 2 : pick(ss, 4);   /* large: stride 2 too (the AVX-512 path) */
        p.dilations[a] = pick(ds, 3);
        p.pads[a] = pick(ps, 4);
        p.pads[2 + a] = pick(ps, 4);
        p.in[a] = pick(sizes, n_sizes);
        p.out[a] = dlk_conv_out_dim(p.in[a], p.kernel[a], p.strides[a], p.dilations[a], p.pads[a], p.pads[2 + a]);
    }
    if (p.out[0] <= 0 || p.out[1] <= 0 || (large && p.in[0] * p.in[1] > 400000))
        return;
    p.ep.act = acts[trial % 5];
    p.ep.alpha = -0.5f;   /* Clip's low bound, SiLU's alpha (x sigmoid(-0.5 x)) */
    p.ep.beta = 0.75f;
    p.ep.residual = trial % 3 == 0 ? DLK_RES_NONE : trial % 3 == 1 ? DLK_RES_BEFORE_ACT : DLK_RES_AFTER_ACT;
    check_params(&p, trial);
}

/* Runs p (its shape and epilogue set) on random data against the
 * reference, with and without threads, and with the means. trial picks the
 * bias (odd: one). */
static void check_params(const dlk_conv_params *pp, int trial)
{
    dlk_conv_params p = *pp;
    int64_t nx = p.n * p.c_in * p.in[0] * p.in[1], ny = p.n * p.c_out * p.out[0] * p.out[1];
    int64_t nw = p.c_out * p.kernel[0] * p.kernel[1];
    float *x = malloc(sizeof(float) * (size_t)nx), *w = malloc(sizeof(float) * (size_t)nw);
    float *b = malloc(sizeof(float) * (size_t)p.c_out), *r = malloc(sizeof(float) * (size_t)ny);
    float *y = malloc(sizeof(float) * (size_t)ny);
    double *want = malloc(sizeof(double) * (size_t)ny);
    for (int64_t i = 0; i < nx; i++)
        x[i] = rnd();
    for (int64_t i = 0; i < nw; i++)
        w[i] = rnd();
    for (int64_t i = 0; i < p.c_out; i++)
        b[i] = rnd();
    for (int64_t i = 0; i < ny; i++)
        r[i] = rnd();
    const float *bias = trial % 2 ? b : NULL, *res = p.ep.residual != DLK_RES_NONE ? r : NULL;
    reference(&p, x, w, bias, res, want);
    dlk_par three = {3, sequential_run, NULL};
    for (int with_par = 0; with_par < 2; with_par++) {
        for (int64_t i = 0; i < ny; i++)
            y[i] = NAN;
        shares_run = 0;
        dlk_depthwise_f32(with_par ? &three : NULL, &p, x, w, bias, res, y);
        /* one item (plane, or block of 4 rows when the threads split the rows) runs inline */
        const int64_t items = dlk_depthwise_splits_rows(&p, 3, 0) ? (p.out[0] + 3) / 4 : p.n * p.c_out;
        int want_shares = with_par && items > 1 ? 3 : 0;
        ck_assert_int_eq(shares_run, want_shares);
        for (int64_t i = 0; i < ny; i++)
            ck_assert_msg(fabs(y[i] - want[i]) <= 1e-5 * (1 + fabs(want[i])),
                          "trial %d (k %lldx%lld s %lld,%lld d %lld,%lld pads %lld,%lld,%lld,%lld in %lldx%lld "
                          "c %lld->%lld act %lld res %lld par %d): y[%lld] = %g, want %g",
                          trial, (long long)p.kernel[0], (long long)p.kernel[1], (long long)p.strides[0],
                          (long long)p.strides[1], (long long)p.dilations[0], (long long)p.dilations[1],
                          (long long)p.pads[0], (long long)p.pads[1], (long long)p.pads[2], (long long)p.pads[3],
                          (long long)p.in[0], (long long)p.in[1], (long long)p.c_in, (long long)p.c_out,
                          (long long)p.ep.act, (long long)p.ep.residual, with_par, (long long)i, (double)y[i],
                          want[i]);
    }
    {   /* with each plane's mean too (fuse-mean): y bit for bit, and the means as
         * GlobalAveragePool's kernel computes them from y */
        const int64_t planes = p.n * p.c_out, plane = p.out[0] * p.out[1];
        float *y2 = malloc(sizeof(float) * (size_t)ny), *mean = malloc(sizeof(float) * (size_t)planes);
        float *want_mean = malloc(sizeof(float) * (size_t)planes);
        dlk_depthwise_mean_f32(trial % 2 ? &three : NULL, &p, x, w, bias, res, y2, mean);
        dlk_global_avgpool_f32(NULL, planes, plane, y, want_mean);
        ck_assert_msg(memcmp(y2, y, sizeof(float) * (size_t)ny) == 0, "trial %d: y with the means differs", trial);
        for (int64_t i = 0; i < planes; i++)
            ck_assert_msg(memcmp(&mean[i], &want_mean[i], sizeof(float)) == 0, "trial %d: mean[%lld] = %.9g, want %.9g",
                          trial, (long long)i, (double)mean[i], (double)want_mean[i]);
        free(y2);
        free(mean);
        free(want_mean);
    }
    free(x);
    free(w);
    free(b);
    free(r);
    free(y);
    free(want);
}

START_TEST(depthwise_matches_direct_convolution)
{
    for (int trial = 0; trial < 400; trial++)
        one_case(trial, 0, 0);
}
END_TEST

START_TEST(depthwise_large_planes)
{
    for (int trial = 0; trial < 24; trial++)
        one_case(trial, 1, 0);
}
END_TEST

/* MobileNet's and EfficientNet's wide planes (wider than the lanes kernel
 * takes: rows of 112 along the vector), each activation with no residual
 * (so in the registers or over the rows just written), 3x3 and 5x5 at
 * stride 1 (input rows shared by the output rows) and 2. */
START_TEST(depthwise_wide_planes_activations)
{
    static const int acts[] = {DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_SILU, DLK_ACT_SIGMOID, DLK_ACT_NONE};
    int trial = 0;
    for (int k = 3; k <= 5; k += 2)
        for (int stride = 1; stride <= 2; stride++)
            for (int a = 0; a < 5; a++, trial++) {
                dlk_conv_params p;
                memset(&p, 0, sizeof p);
                p.rank = 2;
                p.n = 1;
                p.c_in = p.c_out = p.group = 3;
                for (int d = 0; d < 2; d++) {
                    p.kernel[d] = k;
                    p.strides[d] = stride;
                    p.dilations[d] = 1;
                    p.pads[d] = p.pads[2 + d] = k / 2;
                }
                p.in[0] = 13 + trial % 4;   /* rows: whole groups of 4 and a part */
                p.in[1] = 112 * stride;
                for (int d = 0; d < 2; d++)
                    p.out[d] = dlk_conv_out_dim(p.in[d], k, stride, 1, k / 2, k / 2);
                p.ep.act = acts[a];
                p.ep.alpha = acts[a] == DLK_ACT_SILU ? 1.25f : 0.0f;
                p.ep.beta = 6.0f;
                check_params(&p, trial);
            }
}
END_TEST

/* The 3x3 kernels of left pad 1 and stride 1 or 2 (dlk_depthwise_k3's rows,
 * planes too wide for the lanes kernel): output rows around the blocks of
 * 16 (one partial block, a whole one, one past it), right pads 0 to 2 so
 * the last block reads past the row or stops short of it, top and bottom
 * pads 0 / 1 and plane heights that leave 1 to 3 rows after the groups of
 * 4 (stride 1) or an odd last row (stride 2), each activation, residuals,
 * bias or none, 1 or 2 images, threads splitting planes or rows. */
START_TEST(depthwise_3x3_rows)
{
    static const int64_t widths[] = {33, 47, 48, 49, 63, 64, 65, 80, 97};
    static const int acts[] = {DLK_ACT_NONE, DLK_ACT_RELU, DLK_ACT_CLIP, DLK_ACT_SILU, DLK_ACT_SIGMOID};
    for (int trial = 0; trial < 90; trial++) {
        dlk_conv_params p;
        const int64_t stride = 1 + trial % 2, ow = widths[trial % 9];
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.n = 1 + trial / 45;
        p.c_in = p.c_out = p.group = 1 + trial % 3;
        for (int d = 0; d < 2; d++) {
            p.kernel[d] = 3;
            p.strides[d] = stride;
            p.dilations[d] = 1;
        }
        p.pads[0] = trial / 3 % 2;
        p.pads[1] = 1;
        p.pads[2] = trial / 5 % 2;
        p.pads[3] = trial / 2 % 3;
        p.in[0] = 1 + trial % 11;
        /* the width whose output row is ow with these pads */
        p.in[1] = (ow - 1) * stride + 3 - p.pads[1] - p.pads[3];
        for (int d = 0; d < 2; d++)
            p.out[d] = dlk_conv_out_dim(p.in[d], 3, stride, 1, p.pads[d], p.pads[2 + d]);
        ck_assert_int_eq(p.out[1], ow);
        if (p.out[0] <= 0)
            continue;
#if defined(__AVX512F__)
        ck_assert_int_eq(dlk_depthwise_k3(&p), (int)stride);
        ck_assert(!dlk_depthwise_lanes_fit(&p));
#endif
        p.ep.act = acts[trial % 5];
        p.ep.alpha = p.ep.act == DLK_ACT_SILU ? 1.25f : -0.5f;
        p.ep.beta = 0.75f;
        p.ep.residual = trial % 7 == 0 ? DLK_RES_BEFORE_ACT : trial % 7 == 1 ? DLK_RES_AFTER_ACT : DLK_RES_NONE;
        check_params(&p, trial);
    }
}
END_TEST

START_TEST(depthwise_channel_groups)
{
    for (int trial = 0; trial < 120; trial++)
        one_case(trial, 0, 1);
}
END_TEST

/* 3x3, stride 1, pads 1 on a 4x4 plane of ones with all-one weights: the
 * corners see 4 taps, the edges 6, the inside 9; bias 0.5; Relu keeps all. */
START_TEST(depthwise_hand_computed)
{
    dlk_conv_params p;
    float x[16], w[9], b[1] = {0.5f}, y[16];
    const float want[16] = {4.5f, 6.5f, 6.5f, 4.5f, 6.5f, 9.5f, 9.5f, 6.5f,
                            6.5f, 9.5f, 9.5f, 6.5f, 4.5f, 6.5f, 6.5f, 4.5f};
    memset(&p, 0, sizeof p);
    p.n = p.c_in = p.c_out = p.group = 1;
    p.rank = 2;
    p.in[0] = p.in[1] = p.out[0] = p.out[1] = 4;
    p.kernel[0] = p.kernel[1] = 3;
    p.strides[0] = p.strides[1] = p.dilations[0] = p.dilations[1] = 1;
    p.pads[0] = p.pads[1] = p.pads[2] = p.pads[3] = 1;
    p.ep.act = DLK_ACT_RELU;
    for (int i = 0; i < 16; i++)
        x[i] = 1.0f;
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    dlk_depthwise_f32(NULL, &p, x, w, b, NULL, y);
    for (int i = 0; i < 16; i++)
        ck_assert_float_eq(y[i], want[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_depthwise");
    TCase *tc = tcase_create("depthwise");
    tcase_add_test(tc, depthwise_hand_computed);
    tcase_add_test(tc, depthwise_matches_direct_convolution);
    tcase_add_test(tc, depthwise_large_planes);
    tcase_add_test(tc, depthwise_channel_groups);
    tcase_add_test(tc, depthwise_3x3_rows);
    tcase_add_test(tc, depthwise_wide_planes_activations);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
