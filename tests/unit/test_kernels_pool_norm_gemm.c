/* Pooling, normalisation and matrix-product kernels (runtime/kernels/
 * pool.h, norm.h, gemm.h): pool sizes (SEED-NOTES §5 T4, T17), hand-computed
 * cases, and the blocked kernels against naive loops on random shapes. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm.h"
#include "kernels/norm.h"
#include "kernels/pool.h"
#include "sequential_pool.h"

static void expect_floats(const float *got, const float *want, int64_t n, float tol, const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        float err = fabsf(got[i] - want[i]), scale = fabsf(want[i]) > 1.0f ? fabsf(want[i]) : 1.0f;
        ck_assert_msg(err <= tol * scale, "%s: element %lld is %.7g, expected %.7g", what, (long long)i,
                      (double)got[i], (double)want[i]);
    }
}

static uint32_t rng_state = 777u;

static float rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int64_t rnd_int(int64_t lo, int64_t hi)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (int64_t)((rng_state >> 8) % (uint32_t)(hi - lo + 1));
}

static float *rnd_array(int64_t n)
{
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = rnd();
    return v;
}

/* 1-D or 2-D pool params with the same kernel/stride/pads on every axis. */
static dlk_pool_params pool_params(int64_t rank, const int64_t *in, int64_t k, int64_t s, int64_t pb,
                                   int64_t pe, int ceil_mode)
{
    dlk_pool_params p;
    memset(&p, 0, sizeof p);
    p.n = p.c = 1;
    p.rank = rank;
    for (int a = 0; a < rank; a++) {
        p.in[a] = in[a];
        p.kernel[a] = k;
        p.strides[a] = s;
        p.dilations[a] = 1;
        p.pads[a] = pb;
        p.pads[rank + a] = pe;
        p.out[a] = dlk_pool_out_dim(in[a], k, s, 1, pb, pe, ceil_mode);
    }
    return p;
}

/* ----------------------------------------------------------- pool sizes */

START_TEST(t4_t17_pool_out_dim)
{
    /* T4: MaxPool2d(k3, s2, p1) on 50x32: floor(49/2)+1 = 25, floor(31/2)+1 = 16.
     * Ceil: ceil(49/2)+1 = 26 (last window starts at 25*2-1 = 49 < 50, kept),
     * ceil(31/2)+1 = 17 (starts at 16*2-1 = 31 < 32, kept). */
    ck_assert_int_eq(dlk_pool_out_dim(50, 3, 2, 1, 1, 1, 0), 25);
    ck_assert_int_eq(dlk_pool_out_dim(32, 3, 2, 1, 1, 1, 0), 16);
    ck_assert_int_eq(dlk_pool_out_dim(50, 3, 2, 1, 1, 1, 1), 26);
    ck_assert_int_eq(dlk_pool_out_dim(32, 3, 2, 1, 1, 1, 1), 17);
    /* SEED-NOTES: in 5, k2, s2, p1, ceil: naive ceil((5+2-2)/2)+1 = 4, but the
     * 4th window would start at 3*2-1 = 5, in the end padding: 3. */
    ck_assert_int_eq(dlk_pool_out_dim(5, 2, 2, 1, 1, 1, 1), 3);
    /* T17 (Caffe ceil-mode AlexNet pools, k3 s2): 54 -> ceil(51/2)+1 = 27, 27 -> 13, 13 -> 6;
     * floor: 54 -> 26. */
    ck_assert_int_eq(dlk_pool_out_dim(54, 3, 2, 1, 0, 0, 1), 27);
    ck_assert_int_eq(dlk_pool_out_dim(27, 3, 2, 1, 0, 0, 1), 13);
    ck_assert_int_eq(dlk_pool_out_dim(13, 3, 2, 1, 0, 0, 1), 6);
    ck_assert_int_eq(dlk_pool_out_dim(54, 3, 2, 1, 0, 0, 0), 26);
    /* Dilation 2, k3 (span 5), in 9, s2, ceil: ceil(4/2)+1 = 3. */
    ck_assert_int_eq(dlk_pool_out_dim(9, 3, 2, 2, 0, 0, 1), 3);
}
END_TEST

/* -------------------------------------------------------------- max pool */

/* Two planes: x and -x, x a scrambled 4x4. */
static const float pool_x[16] = {3, 9, 1, 4, 7, 2, 8, 5, 6, 0, 12, 10, 11, 15, 13, 14};

START_TEST(maxpool_2x2_with_indices)
{
    /* k2 s2 on plane 0: max(3,9,7,2) = 9 at (0,1); max(1,4,8,5) = 8 at (1,2);
     * max(6,0,11,15) = 15 at (3,1); max(12,10,13,14) = 14 at (3,3).
     * Row-major indices 1, 6, 13, 15; column-major (h + 4w) 4, 9, 7, 15.
     * Plane 1 (-x): -min: -2 at (1,1), -1 at (0,2), -0 at (2,1), -10 at (2,3);
     * indices 16 + (5, 2, 9, 11); column-major 16 + (5, 8, 6, 14). */
    float x[32], y[8], want[8] = {9, 8, 15, 14, -2, -1, 0, -10};
    int64_t ind[8], in[2] = {4, 4};
    int64_t want_rm[8] = {1, 6, 13, 15, 21, 18, 25, 27}, want_cm[8] = {4, 9, 7, 15, 21, 24, 22, 30};
    dlk_pool_params p = pool_params(2, in, 2, 2, 0, 0, 0);
    p.c = 2;
    for (int i = 0; i < 16; i++) {
        x[i] = pool_x[i];
        x[16 + i] = -pool_x[i];
    }
    dlk_maxpool_f32(&p, x, y, NULL);
    expect_floats(y, want, 8, 0, "maxpool");
    dlk_maxpool_f32(&p, x, y, ind);
    expect_floats(y, want, 8, 0, "maxpool with indices");
    for (int i = 0; i < 8; i++)
        ck_assert_msg(ind[i] == want_rm[i], "index %d is %lld, expected %lld", i, (long long)ind[i],
                      (long long)want_rm[i]);
    p.storage_order = 1;
    dlk_maxpool_f32(&p, x, y, ind);
    for (int i = 0; i < 8; i++)
        ck_assert_msg(ind[i] == want_cm[i], "column-major index %d is %lld, expected %lld", i,
                      (long long)ind[i], (long long)want_cm[i]);
}
END_TEST

START_TEST(maxpool_padded_and_ceil_mode)
{
    /* 4x4, k3 s2 p1: out 2x2, windows rows {-1..1, 1..3} x cols {-1..1, 1..3}:
     * max(3,9,7,2) = 9; max(9,1,4,2,8,5) = 9; max(7,2,6,0,11,15) = 15; max(2,8,5,0,12,10,15,13,14) = 15. */
    float y[4], want[4] = {9, 9, 15, 15};
    /* 1-D, x = [1 5 2 4 3 6], k2 s2 pads (1,0): floor gives 3 windows
     * [-1,0] [1,2] [3,4] -> 1 5 4; ceil adds [5,6] -> 6. */
    float x1[6] = {1, 5, 2, 4, 3, 6}, y1[4], want1[4] = {1, 5, 4, 6};
    int64_t in[2] = {4, 4}, in1[1] = {6};
    dlk_pool_params p = pool_params(2, in, 3, 2, 1, 1, 0);
    ck_assert_int_eq(p.out[0], 2);
    dlk_maxpool_f32(&p, pool_x, y, NULL);
    expect_floats(y, want, 4, 0, "padded maxpool");
    p = pool_params(1, in1, 2, 2, 1, 0, 0);
    ck_assert_int_eq(p.out[0], 3);
    p = pool_params(1, in1, 2, 2, 1, 0, 1);
    ck_assert_int_eq(p.out[0], 4);
    dlk_maxpool_f32(&p, x1, y1, NULL);
    expect_floats(y1, want1, 4, 0, "ceil-mode maxpool");
}
END_TEST

/* ---------------------------------------------------------- average pool */

START_TEST(avgpool_count_include_pad_both_ways)
{
    /* x = 1..9 (3x3), k3 s1 p1. Without the padding: corner (1+2+4+5)/4 = 3,
     * edge (1+2+3+4+5+6)/6 = 3.5, centre 45/9 = 5, and by symmetry
     * [3 3.5 4; 4.5 5 5.5; 6 6.5 7]. With it, every window counts 9:
     * [12 21 16; 27 45 33; 24 39 28] / 9. */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[9];
    float excl[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
    float incl[9] = {12 / 9.f, 21 / 9.f, 16 / 9.f, 27 / 9.f, 5, 33 / 9.f, 24 / 9.f, 39 / 9.f, 28 / 9.f};
    int64_t in[2] = {3, 3};
    dlk_pool_params p = pool_params(2, in, 3, 1, 1, 1, 0);
    dlk_avgpool_f32(&p, x, y);
    expect_floats(y, excl, 9, 1e-6f, "avgpool excluding pads");
    p.count_include_pad = 1;
    dlk_avgpool_f32(&p, x, y);
    expect_floats(y, incl, 9, 1e-6f, "avgpool including pads");
}
END_TEST

START_TEST(avgpool_ceil_mode_clips_to_padded_extent)
{
    /* x = [1..6], k3 s2 pads (1,1), ceil: ceil((6+2-3)/2)+1 = 4 windows at
     * positions {-1,0,1} {1,2,3} {3,4,5} {5,6,7}. The padded extent is [-1, 7),
     * so the last window counts 2 with count_include_pad (onnxruntime):
     * incl: 3/3, 9/3, 15/3, 6/2 = [1 3 5 3]; excl: 3/2, 9/3, 15/3, 6/1 = [1.5 3 5 6]. */
    float x[6] = {1, 2, 3, 4, 5, 6}, y[4], incl[4] = {1, 3, 5, 3}, excl[4] = {1.5f, 3, 5, 6};
    int64_t in[1] = {6};
    dlk_pool_params p = pool_params(1, in, 3, 2, 1, 1, 1);
    ck_assert_int_eq(p.out[0], 4);
    dlk_avgpool_f32(&p, x, y);
    expect_floats(y, excl, 4, 1e-6f, "ceil avgpool excluding pads");
    p.count_include_pad = 1;
    dlk_avgpool_f32(&p, x, y);
    expect_floats(y, incl, 4, 1e-6f, "ceil avgpool including pads");
}
END_TEST

START_TEST(global_pools)
{
    /* Two planes of 5: [1 2 3 4 5] -> mean 3, max 5; [-1 -7 -3 -2 -9] -> mean -22/5, max -1. */
    float x[10] = {1, 2, 3, 4, 5, -1, -7, -3, -2, -9}, y[2], mean[2] = {3, -4.4f}, max[2] = {5, -1};
    /* One plane of 21 values 0..20: mean 10 (crosses the 8-wide partial sums). */
    float x21[21], y1[1], mean21[1] = {10};
    dlk_global_avgpool_f32(NULL, 2, 5, x, y);
    expect_floats(y, mean, 2, 1e-6f, "global average");
    dlk_global_maxpool_f32(2, 5, x, y);
    expect_floats(y, max, 2, 0, "global max");
    for (int i = 0; i < 21; i++)
        x21[i] = (float)i;
    dlk_global_avgpool_f32(NULL, 1, 21, x21, y1);
    expect_floats(y1, mean21, 1, 1e-6f, "global average of 21");
}
END_TEST


/* Planes of every size from 1 to 200 and of 3136 (56 x 56), values of
 * both signs: the mean within float rounding of the double sum, through the
 * whole blocks of partial sums, the masked rest and each kind of plane. */
START_TEST(global_average_sizes)
{
    static float x[3136];
    float y;
    for (int i = 0; i < 3136; i++)
        x[i] = (float)((i * 53) % 97) / 8.0f - 6.0f;
    for (int n = 1; n <= 3136; n = n < 200 ? n + 1 : 3136) {
        double s = 0, a = 0;
        for (int j = 0; j < n; j++) {
            s += x[j];
            a += fabs(x[j]);
        }
        dlk_global_avgpool_f32(NULL, 1, n, x, &y);
        ck_assert_msg(fabs(y - s / n) <= 1e-6 * (1 + a / n), "size %d: %.9g, expected %.9g", n, (double)y, s / n);
        if (n == 3136)
            break;
    }
}
END_TEST

/* Split over 3 threads, 7 planes of 13: each plane's mean as computed in
 * one piece, bit for bit (the same sums per plane). */
START_TEST(global_average_split)
{
    dlk_par three = {3, sequential_run, NULL};
    float x[7 * 13], one[7], split[7];
    for (int i = 0; i < 7 * 13; i++)
        x[i] = (float)((i * 37) % 23) - 11.5f;
    dlk_global_avgpool_f32(NULL, 7, 13, x, one);
    for (int i = 0; i < 7; i++)
        split[i] = -1e30f;
    dlk_global_avgpool_f32(&three, 7, 13, x, split);
    ck_assert_msg(memcmp(one, split, sizeof one) == 0, "3-way split differs");
    for (int i = 0; i < 7; i++) {   /* and the mean by hand: (sum of the plane) / 13 */
        double s = 0;
        for (int j = 0; j < 13; j++)
            s += x[i * 13 + j];
        ck_assert_msg(fabs(one[i] - s / 13) < 1e-5, "plane %d: %g, expected %g", i, (double)one[i], s / 13);
    }
}
END_TEST

/* Pooling by its definition (onnxruntime's divisor rule), any rank <= 3. */
static void naive_pool(const dlk_pool_params *p, const float *x, float *y, int is_max)
{
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0}, lead = 3 - p->rank;
    for (int a = 0; a < p->rank; a++) {
        in[lead + a] = p->in[a];
        out[lead + a] = p->out[a];
        k[lead + a] = p->kernel[a];
        s[lead + a] = p->strides[a];
        d[lead + a] = p->dilations[a];
        pb[lead + a] = p->pads[a];
        pe[lead + a] = p->pads[p->rank + a];
    }
    int64_t ip = in[0] * in[1] * in[2], op = out[0] * out[1] * out[2];
    for (int64_t pl = 0; pl < p->n * p->c; pl++)
        for (int64_t o0 = 0; o0 < out[0]; o0++)
            for (int64_t o1 = 0; o1 < out[1]; o1++)
                for (int64_t o2 = 0; o2 < out[2]; o2++) {
                    double acc = is_max ? -INFINITY : 0;
                    int64_t valid = 0, padded = 0;
                    for (int64_t k0 = 0; k0 < k[0]; k0++)
                        for (int64_t k1 = 0; k1 < k[1]; k1++)
                            for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                int64_t i0 = o0 * s[0] - pb[0] + k0 * d[0];
                                int64_t i1 = o1 * s[1] - pb[1] + k1 * d[1];
                                int64_t i2 = o2 * s[2] - pb[2] + k2 * d[2];
                                if (i0 < in[0] + pe[0] && i1 < in[1] + pe[1] && i2 < in[2] + pe[2])
                                    padded++;
                                if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2])
                                    continue;
                                float v = x[pl * ip + (i0 * in[1] + i1) * in[2] + i2];
                                valid++;
                                if (is_max)
                                    acc = v > acc ? v : acc;
                                else
                                    acc += v;
                            }
                    if (!is_max)
                        acc /= (double)(p->count_include_pad ? padded : valid);
                    y[pl * op + (o0 * out[1] + o1) * out[2] + o2] = (float)acc;
                }
}

START_TEST(pools_match_direct_loops)
{
    for (int t = 0; t < 400; t++) {
        dlk_pool_params p;
        int ceil_mode = (int)rnd_int(0, 1), is_max = t % 2;
        int64_t nx = 1, ny = 1;
        char what[120];
        memset(&p, 0, sizeof p);
        p.rank = rnd_int(1, 3);
        p.n = rnd_int(1, 2);
        p.c = rnd_int(1, 3);
        p.count_include_pad = rnd_int(0, 1);
        for (int a = 0; a < p.rank; a++) {
            int64_t keff;
            p.kernel[a] = rnd_int(1, 4);
            p.strides[a] = rnd_int(1, 3);
            p.dilations[a] = rnd_int(1, 2);
            keff = p.dilations[a] * (p.kernel[a] - 1) + 1;
            p.pads[a] = rnd_int(0, p.kernel[a] - 1);
            p.pads[p.rank + a] = rnd_int(0, p.kernel[a] - 1);
            p.in[a] = rnd_int(keff, p.rank == 1 ? 40 : 12);
            p.out[a] = dlk_pool_out_dim(p.in[a], p.kernel[a], p.strides[a], p.dilations[a], p.pads[a],
                                        p.pads[p.rank + a], ceil_mode);
            nx *= p.in[a];
            ny *= p.out[a];
        }
        nx *= p.n * p.c;
        ny *= p.n * p.c;
        float *x = rnd_array(nx), *y = rnd_array(ny), *want = rnd_array(ny);
        snprintf(what, sizeof what, "%s case %d (rank %lld, ceil %d, include_pad %lld)",
                 is_max ? "MaxPool" : "AveragePool", t, (long long)p.rank, ceil_mode,
                 (long long)p.count_include_pad);
        if (is_max)
            dlk_maxpool_f32(&p, x, y, NULL);
        else
            dlk_avgpool_f32(&p, x, y);
        naive_pool(&p, x, want, is_max);
        expect_floats(y, want, ny, 1e-5f, what);
        free(x);
        free(y);
        free(want);
    }
}
END_TEST

/* ------------------------------------------------------------ batch norm */

START_TEST(batchnorm_per_channel)
{
    /* x: 1x2x1x2 = [1 2 | 3 4]; scale [2 .5], B [.1 -1], mean [1 2], var [3 .25], eps 1.
     * ch0: (x-1)/sqrt(4)*2 + .1 = x - .9 -> .1, 1.1.
     * ch1: (x-2)/sqrt(1.25)*.5 - 1 -> 1/1.118034*.5 - 1 = -.5527864, 2/1.118034*.5 - 1 = -.1055728. */
    float x[4] = {1, 2, 3, 4}, scale[2] = {2, .5f}, bias[2] = {.1f, -1}, mean[2] = {1, 2}, var[2] = {3, .25f};
    float y[4], want[4] = {.1f, 1.1f, -.5527864f, -.1055728f};
    dlk_batchnorm_params p = {1, 2, 2, 1.0f, {0, 0, 0.0f, 0.0f}};
    dlk_batchnorm_f32(NULL, &p, x, scale, bias, mean, var, y);
    expect_floats(y, want, 4, 1e-6f, "batchnorm");
}
END_TEST

/* ------------------------------------------------------------------ LRN */

START_TEST(lrn_windows)
{
    /* x: 1x3x1x1 = [1 2 3], size 3, alpha 3 (alpha/size = 1), beta 1, bias 1.
     * Windows [c-1, c+1] clipped: squares 1+4 = 5, 1+4+9 = 14, 4+9 = 13 ->
     * y = 1/6, 2/15, 3/14. */
    float x[3] = {1, 2, 3}, y[3], want3[3] = {1 / 6.f, 2 / 15.f, 3 / 14.f};
    /* size 2 (window [c, c+1]), alpha 2 (alpha/size = 1), beta .5, bias 1:
     * squares 5, 13, 9 -> 1/sqrt(6), 2/sqrt(14), 3/sqrt(10). */
    float want2[3] = {0.40824829f, 0.53452248f, 0.94868330f};
    dlk_lrn_params p = {1, 3, 1, 3, 3.0f, 1.0f, 1.0f};
    dlk_lrn_f32(NULL, &p, x, y);
    expect_floats(y, want3, 3, 1e-6f, "LRN size 3");
    p.size = 2;
    p.alpha = 2.0f;
    p.beta = 0.5f;
    dlk_lrn_f32(NULL, &p, x, y);
    expect_floats(y, want2, 3, 1e-6f, "LRN size 2");
}
END_TEST

/* beta 0.75 (the square-root path, 17 values: the AVX-512 block and the
 * scalar rest): x = 1..17 on one channel, size 1, alpha 1, bias 2, so
 * y_i = i / (2 + i^2)^0.75, against powf computed here in double. */
START_TEST(lrn_beta_three_quarters)
{
    float x[17], y[17];
    dlk_lrn_params p = {1, 1, 17, 1, 1.0f, 0.75f, 2.0f};
    for (int i = 0; i < 17; i++)
        x[i] = (float)(i + 1);
    dlk_lrn_f32(NULL, &p, x, y);
    for (int i = 0; i < 17; i++) {
        double v = i + 1.0, want = v / pow(2.0 + v * v, 0.75);
        ck_assert_msg(fabs(y[i] - want) <= 2e-7 * want, "y[%d] = %.9g, want %.9g", i, (double)y[i], want);
    }
}
END_TEST

/* Planes wider than a vector and windows clipped at both ends: 7 channels
 * of 37 pixels (two blocks of 16 and a rest of 5), window sizes 5 and 4
 * (before 2 / 1, after 2 / 2), beta 0.75 (the in-register path with
 * AVX-512) and 0.6 (powf), against double precision. */
START_TEST(lrn_planes_against_double)
{
    enum { C = 7, S = 37 };
    static const int64_t sizes[2] = {5, 4};
    static const float betas[2] = {0.75f, 0.6f};
    float x[C * S], y[C * S];
    unsigned seed = 7;
    for (int i = 0; i < C * S; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (float)((seed >> 9) % 2001) / 100.0f - 10.0f;
    }
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            dlk_lrn_params p = {1, C, S, sizes[a], 0.3f, betas[b], 1.5f};
            const int64_t before = (p.size - 1) / 2, after = p.size / 2;
            dlk_lrn_f32(NULL, &p, x, y);
            for (int c = 0; c < C; c++)
                for (int i = 0; i < S; i++) {
                    double sum = 0, want;
                    for (int64_t cc = c - before; cc <= c + after; cc++)
                        if (cc >= 0 && cc < C)
                            sum += (double)x[cc * S + i] * x[cc * S + i];
                    want = x[c * S + i] / pow(1.5 + 0.3 / (double)p.size * sum, (double)betas[b]);
                    ck_assert_msg(fabs(y[c * S + i] - want) <= 1e-6 * fabs(want) + 1e-30,
                                  "size %d beta %g: y[%d][%d] = %.9g, want %.9g", (int)p.size, (double)betas[b], c,
                                  i, (double)y[c * S + i], want);
                }
        }
}
END_TEST

/* ----------------------------------------------------------------- gemm */

START_TEST(gemm_transposes_and_broadcast_c)
{
    /* A = [1 2 3; 4 5 6], B = [1 0; 0 1; 1 1]: AB = [4 5; 10 11].
     * alpha 2, beta .5, C (1,N) = [10 20]: [8+5 10+10; 20+5 22+10] = [13 20; 25 32]. */
    float a[6] = {1, 2, 3, 4, 5, 6}, at[6] = {1, 4, 2, 5, 3, 6};
    float b[6] = {1, 0, 0, 1, 1, 1}, bt[6] = {1, 0, 1, 0, 1, 1};
    float c_row[2] = {10, 20}, c_col[2] = {1, 2}, c_one[1] = {3}, c_full[4] = {1, 2, 3, 4}, y[4];
    float want_row[4] = {13, 20, 25, 32};
    float want_col[4] = {5, 6, 12, 13};      /* AB + [1;2] */
    float want_one[4] = {7, 8, 13, 14};      /* AB + 3 */
    float want_full[4] = {5, 7, 13, 15};     /* AB + [1 2; 3 4] */
    float want_none[4] = {2, 2.5f, 5, 5.5f}; /* .5 AB */
    dlk_gemm_params p = {2, 2, 3, 0, 0, 2.0f, 0.5f, 0, 1, {0, 0, 0, 0}};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            p.trans_a = ta;
            p.trans_b = tb;
            dlk_gemm_f32(NULL, &p, ta ? at : a, tb ? bt : b, c_row, y);
            expect_floats(y, want_row, 4, 0, "gemm with transposes");
        }
    p = (dlk_gemm_params){2, 2, 3, 0, 0, 1.0f, 1.0f, 1, 0, {0, 0, 0, 0}};
    dlk_gemm_f32(NULL, &p, a, b, c_col, y);
    expect_floats(y, want_col, 4, 0, "gemm, C (M,1)");
    p.c_rs = p.c_cs = 0;
    dlk_gemm_f32(NULL, &p, a, b, c_one, y);
    expect_floats(y, want_one, 4, 0, "gemm, scalar C");
    p.c_rs = 2;
    p.c_cs = 1;
    dlk_gemm_f32(NULL, &p, a, b, c_full, y);
    expect_floats(y, want_full, 4, 0, "gemm, C (M,N)");
    p.alpha = 0.5f;
    dlk_gemm_f32(NULL, &p, a, b, NULL, y);
    expect_floats(y, want_none, 4, 0, "gemm without C");
    p.beta = 0.0f;
    dlk_gemm_f32(NULL, &p, a, b, c_full, y);
    expect_floats(y, want_none, 4, 0, "gemm, beta 0 ignores C");
}
END_TEST

static void naive_gemm(const dlk_gemm_params *p, const float *a, const float *b, const float *c, float *y)
{
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t j = 0; j < p->n; j++) {
            double acc = 0;
            for (int64_t k = 0; k < p->k; k++)
                acc += (double)(p->trans_a ? a[k * p->m + i] : a[i * p->k + k]) *
                       (p->trans_b ? b[j * p->k + k] : b[k * p->n + j]);
            y[i * p->n + j] = (float)(p->alpha * acc + (c ? p->beta * c[i * p->c_rs + j * p->c_cs] : 0));
        }
}

START_TEST(gemm_matches_naive_loops)
{
    /* Sizes cross the 128 x 256 cache blocks, the 8-wide chunks and the k4 groups. */
    static const int64_t sizes[] = {1, 2, 3, 7, 8, 9, 31, 130, 300};
    for (int t = 0; t < 120; t++) {
        dlk_gemm_params p;
        char what[100];
        memset(&p, 0, sizeof p);
        p.m = sizes[rnd_int(0, 7)];
        p.n = sizes[rnd_int(0, 8)];
        p.k = sizes[rnd_int(0, 8)];
        p.trans_a = rnd_int(0, 1);
        p.trans_b = rnd_int(0, 1);
        p.alpha = rnd();
        p.beta = rnd();
        p.c_rs = p.n;
        p.c_cs = 1;
        float *a = rnd_array(p.m * p.k), *b = rnd_array(p.k * p.n), *c = rnd_array(p.m * p.n);
        float *y = rnd_array(p.m * p.n), *want = rnd_array(p.m * p.n);
        snprintf(what, sizeof what, "gemm %lldx%lldx%lld tA%lld tB%lld", (long long)p.m, (long long)p.n,
                 (long long)p.k, (long long)p.trans_a, (long long)p.trans_b);
        dlk_gemm_f32(NULL, &p, a, b, t % 3 ? c : NULL, y);
        naive_gemm(&p, a, b, t % 3 ? c : NULL, want);
        expect_floats(y, want, p.m * p.n, 2e-5f, what);
        free(a);
        free(b);
        free(c);
        free(y);
        free(want);
    }
}
END_TEST

/* ---------------------------------------------------------------- matmul */

START_TEST(matmul_batched_broadcast)
{
    /* A: (2,1,2,2) = [I, 2I]; B: (3,2,2), B[j] = [j 1; 0 j+1]; y: (2,3,2,2),
     * y[i][j] = (i+1) B[j]. Strides: A's axis 0 moves 4, its axis 1 broadcasts;
     * B lacks axis 0 (broadcast) and moves 4 along axis 1. */
    float a[8] = {1, 0, 0, 1, 2, 0, 0, 2}, b[12], y[24];
    dlk_matmul_params p;
    memset(&p, 0, sizeof p);
    p.m = p.n = p.k = 2;
    p.batch_rank = 2;
    p.batch[0] = 2;
    p.batch[1] = 3;
    p.a_stride[0] = 4;
    p.b_stride[1] = 4;
    for (int j = 0; j < 3; j++) {
        b[j * 4 + 0] = (float)j;
        b[j * 4 + 1] = 1;
        b[j * 4 + 2] = 0;
        b[j * 4 + 3] = (float)(j + 1);
    }
    dlk_matmul_f32(&p, a, b, y);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int e = 0; e < 4; e++)
                ck_assert_msg(y[(i * 3 + j) * 4 + e] == (float)(i + 1) * b[j * 4 + e],
                              "y[%d][%d][%d] is %g, expected %g", i, j, e, (double)y[(i * 3 + j) * 4 + e],
                              (double)((float)(i + 1) * b[j * 4 + e]));
}
END_TEST

START_TEST(matmul_vector_operands)
{
    /* (3) x (3,2), promoted to (1,3): [1 2 3] [1 0; 0 1; 1 1] = [4 5].
     * (2,3) x (3), promoted to (3,1): [1 2 3; 4 5 6] [1 1 1] = [6 15]. */
    float v[3] = {1, 2, 3}, m32[6] = {1, 0, 0, 1, 1, 1}, m23[6] = {1, 2, 3, 4, 5, 6}, ones[3] = {1, 1, 1};
    float y[2], want1[2] = {4, 5}, want2[2] = {6, 15};
    dlk_matmul_params p;
    memset(&p, 0, sizeof p);
    p.m = 1;
    p.k = 3;
    p.n = 2;
    dlk_matmul_f32(&p, v, m32, y);
    expect_floats(y, want1, 2, 0, "vector x matrix");
    p.m = 2;
    p.n = 1;
    dlk_matmul_f32(&p, m23, ones, y);
    expect_floats(y, want2, 2, 0, "matrix x vector");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_pool_norm_gemm");
    TCase *pool = tcase_create("pool"), *norm = tcase_create("norm"), *gemm = tcase_create("gemm");
    tcase_add_test(pool, t4_t17_pool_out_dim);
    tcase_add_test(pool, maxpool_2x2_with_indices);
    tcase_add_test(pool, maxpool_padded_and_ceil_mode);
    tcase_add_test(pool, avgpool_count_include_pad_both_ways);
    tcase_add_test(pool, avgpool_ceil_mode_clips_to_padded_extent);
    tcase_add_test(pool, global_pools);
    tcase_add_test(pool, global_average_split);
    tcase_add_test(pool, global_average_sizes);
    tcase_add_test(pool, pools_match_direct_loops);
    tcase_add_test(norm, batchnorm_per_channel);
    tcase_add_test(norm, lrn_windows);
    tcase_add_test(norm, lrn_beta_three_quarters);
    tcase_add_test(norm, lrn_planes_against_double);
    tcase_add_test(gemm, gemm_transposes_and_broadcast_c);
    tcase_add_test(gemm, gemm_matches_naive_loops);
    tcase_add_test(gemm, matmul_batched_broadcast);
    tcase_add_test(gemm, matmul_vector_operands);
    suite_add_tcase(s, pool);
    suite_add_tcase(s, norm);
    suite_add_tcase(s, gemm);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
