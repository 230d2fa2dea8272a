/* dlk_maxpool2d_f32 and dlk_avgpool2d_f32 (the 2-D pools split over
 * threads) against the general dlk_maxpool_f32 / dlk_avgpool_f32 on random
 * shapes (AveragePool: with and without count_include_pad): kernels 1..7 per axis, strides
 * 1..3, dilations 1..2, asymmetric pads below the kernel, rows up to 300 wide, NaNs in some MaxPool inputs, with no thread
 * context and with a 3-way one whose shares run in turn. Both take the max
 * over the same valid elements, so the results must be bit-identical. The
 * row max they share is checked against the formula on its own (CMake also
 * builds this file with -march=native, for its AVX-512 stride-2 path). */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/pool.h"
#include "sequential_pool.h"

static uint32_t seed = 7;

static uint32_t next(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}


/* A random 2-D pool: kernels 1..7, strides 1..3, dilations 1..2, pads
 * below the kernel, ceil_mode on odd trials; false when it has no output.
 * *x gets its random input (the caller frees it). */
static bool random_pool(int trial, dlk_pool_params *p, float **x)
{
    memset(p, 0, sizeof *p);
    p->rank = 2;
    p->n = 1 + (int64_t)(next() % 2);
    p->c = 1 + (int64_t)(next() % 5);
    for (int a = 0; a < 2; a++) {
        p->kernel[a] = 1 + (int64_t)(next() % 7);
        p->strides[a] = 1 + (int64_t)(next() % 3);
        p->dilations[a] = 1 + (int64_t)(next() % 2);
        p->pads[a] = (int64_t)(next() % (uint32_t)p->kernel[a]);
        p->pads[2 + a] = (int64_t)(next() % (uint32_t)p->kernel[a]);
        p->in[a] = 1 + (int64_t)(next() % (a == 1 && trial % 7 == 0 ? 300 : 40));   /* some rows of many blocks */
        p->out[a] = dlk_pool_out_dim(p->in[a], p->kernel[a], p->strides[a], p->dilations[a], p->pads[a],
                                     p->pads[2 + a], (int)(trial % 2));   /* ceil_mode too */
    }
    if (p->out[0] <= 0 || p->out[1] <= 0)
        return false;
    int64_t nx = p->n * p->c * p->in[0] * p->in[1];
    *x = malloc(sizeof(float) * (size_t)nx);
    for (int64_t i = 0; i < nx; i++)
        (*x)[i] = (float)(next() % 2001) / 100.0f - 10.0f;
    return true;
}

/* dlk_maxpool2d_f32 against dlk_maxpool_f32 on x, bit for bit, with no
 * thread context and with a 3-way one. */
static void check_maxpool2d(const dlk_pool_params *p, const float *x, int trial)
{
    dlk_par three = {3, sequential_run, NULL};
    int64_t ny = p->n * p->c * p->out[0] * p->out[1];
    float *want = malloc(sizeof(float) * (size_t)ny), *y = malloc(sizeof(float) * (size_t)ny);
    dlk_maxpool_f32(p, x, want, NULL);
    for (int with_par = 0; with_par < 2; with_par++) {
        for (int64_t i = 0; i < ny; i++)
            y[i] = NAN;
        dlk_maxpool2d_f32(with_par ? &three : NULL, p, x, y);
        ck_assert_msg(memcmp(y, want, sizeof(float) * (size_t)ny) == 0,
                      "trial %d: k %lldx%lld s %lld,%lld d %lld,%lld pads %lld,%lld,%lld,%lld in %lldx%lld par %d "
                      "differs",
                      trial, (long long)p->kernel[0], (long long)p->kernel[1], (long long)p->strides[0],
                      (long long)p->strides[1], (long long)p->dilations[0], (long long)p->dilations[1],
                      (long long)p->pads[0], (long long)p->pads[1], (long long)p->pads[2], (long long)p->pads[3],
                      (long long)p->in[0], (long long)p->in[1], with_par);
    }
    free(want);
    free(y);
}

START_TEST(maxpool2d_matches_general_kernel)
{
    for (int trial = 0; trial < 500; trial++) {
        dlk_pool_params p;
        float *x;
        if (!random_pool(trial, &p, &x))
            continue;
        if (trial % 5 == 0)   /* a NaN never wins, in either kernel */
            for (int64_t i = 0; i < p.n * p.c * p.in[0] * p.in[1]; i += 1 + (int64_t)(next() % 9))
                x[i] = NAN;
        check_maxpool2d(&p, x, trial);
        free(x);
    }
}
END_TEST

/* A random 3 x 3 pool of dilation 1: width stride sw, left pad pl, top /
 * bottom / right pads 0-2, row strides 1-3, heights 1..max_h, widths
 * 1-70, ceil mode on alternate pairs of trials; false when it has no
 * output. */
static bool random_pool_3x3(int trial, int64_t sw, int64_t pl, int64_t max_h, dlk_pool_params *p)
{
    memset(p, 0, sizeof *p);
    p->rank = 2;
    p->n = 1 + trial % 2;
    p->c = 1 + trial % 3;
    p->kernel[0] = p->kernel[1] = 3;
    p->dilations[0] = p->dilations[1] = 1;
    p->strides[0] = 1 + (int64_t)(next() % 3);
    p->strides[1] = sw;
    p->pads[0] = (int64_t)(next() % 3);
    p->pads[1] = pl;
    p->pads[2] = (int64_t)(next() % 3);
    p->pads[3] = (int64_t)(next() % 3);
    p->in[0] = 1 + (int64_t)(next() % (uint32_t)max_h);
    p->in[1] = 1 + (int64_t)(next() % 70);
    for (int a = 0; a < 2; a++)
        p->out[a] = dlk_pool_out_dim(p->in[a], 3, p->strides[a], 1, p->pads[a], p->pads[2 + a], trial / 4 % 2);
    return p->out[0] > 0 && p->out[1] > 0;
}

/* The 3x3 windows of dlk_maxpool_k3_row (width stride 1 or 2, left pad 0
 * or 1): rows 1 to 70 wide (inside one block, on a block's edge, several
 * blocks), right, top and bottom pads 0 to 2, height strides 1 to 3, ceil
 * mode, windows wholly in the padding rows, NaNs; bit for bit against the
 * general kernel, with and without threads. */
START_TEST(maxpool2d_3x3_rows)
{
    int ran = 0;
    for (int trial = 0; trial < 400; trial++) {
        dlk_pool_params p;
        if (!random_pool_3x3(trial, 1 + trial % 2, trial / 2 % 2, 9, &p))
            continue;
#if defined(__AVX512F__)
        ck_assert(dlk_maxpool_k3(&p));
#endif
        int64_t nx = p.n * p.c * p.in[0] * p.in[1];
        float *x = malloc(sizeof(float) * (size_t)nx);
        for (int64_t i = 0; i < nx; i++)
            x[i] = trial % 5 == 0 && next() % 7 == 0 ? NAN : (float)(next() % 2001) / 100.0f - 10.0f;
        check_maxpool2d(&p, x, trial);
        ran++;
        free(x);
    }
    ck_assert_int_ge(ran, 200);
}
END_TEST

START_TEST(avgpool2d_matches_general_kernel)
{
    dlk_par three = {3, sequential_run, NULL};
    for (int trial = 0; trial < 500; trial++) {
        dlk_pool_params p;
        float *x;
        if (!random_pool(trial, &p, &x))
            continue;
        p.count_include_pad = trial % 3 == 0;
        int64_t ny = p.n * p.c * p.out[0] * p.out[1];
        float *want = malloc(sizeof(float) * (size_t)ny), *y = malloc(sizeof(float) * (size_t)ny);
        dlk_avgpool_f32(&p, x, want);
        for (int with_par = 0; with_par < 2; with_par++) {
            for (int64_t i = 0; i < ny; i++)
                y[i] = NAN;
            dlk_avgpool2d_f32(with_par ? &three : NULL, &p, x, y);
            for (int64_t i = 0; i < ny; i++)   /* == : the same sums and divisions (0 and -0 alike) */
                ck_assert_msg(y[i] == want[i], "trial %d: k %lldx%lld s %lld,%lld d %lld,%lld in %lldx%lld "
                              "include_pad %lld par %d: y[%lld] = %g, want %g", trial, (long long)p.kernel[0],
                              (long long)p.kernel[1], (long long)p.strides[0], (long long)p.strides[1],
                              (long long)p.dilations[0], (long long)p.dilations[1], (long long)p.in[0],
                              (long long)p.in[1], (long long)p.count_include_pad, with_par, (long long)i,
                              (double)y[i], (double)want[i]);
        }
        free(x);
        free(want);
        free(y);
    }
}
END_TEST

/* The AVX-512 rows of 3 x 3 windows of width stride 2 (ShuffleNet's
 * shortcut pools: constant loops, four rows at a time and the rest one by
 * one) against the general kernel, bit for bit: heights 1-13 (groups of
 * four and leftovers), widths 1-70, pads 0-2, row strides 1-3, ceil mode,
 * count_include_pad both ways. */
START_TEST(avgpool2d_3x3_stride2_rows)
{
    int ran = 0;
    for (int trial = 0; trial < 300; trial++) {
        dlk_pool_params p;
        if (!random_pool_3x3(trial, 2, (int64_t)(next() % 3), 13, &p))
            continue;
        p.count_include_pad = trial % 3 == 0;
        int64_t nx = p.n * p.c * p.in[0] * p.in[1], ny = p.n * p.c * p.out[0] * p.out[1];
        float *x = malloc(sizeof(float) * (size_t)nx), *want = malloc(sizeof(float) * (size_t)ny),
              *y = malloc(sizeof(float) * (size_t)ny);
        for (int64_t i = 0; i < nx; i++)
            x[i] = (float)(next() % 2001) / 100.0f - 10.0f;
        dlk_avgpool_f32(&p, x, want);
        for (int64_t i = 0; i < ny; i++)
            y[i] = NAN;
        dlk_avgpool2d_f32(NULL, &p, x, y);
        for (int64_t i = 0; i < ny; i++)
            ck_assert_msg(y[i] == want[i], "trial %d: in %lldx%lld s %lld pads %lld,%lld,%lld,%lld include_pad %lld: "
                          "y[%lld] = %g, want %g", trial, (long long)p.in[0], (long long)p.in[1],
                          (long long)p.strides[0], (long long)p.pads[0], (long long)p.pads[1], (long long)p.pads[2],
                          (long long)p.pads[3], (long long)p.count_include_pad, (long long)i, (double)y[i],
                          (double)want[i]);
        ran++;
        free(x);
        free(want);
        free(y);
    }
    ck_assert_int_ge(ran, 200);
}
END_TEST

/* The row max every MaxPool runs, at strides 1..3 and every length 0..70
 * (the AVX-512 stride-2 block, its stop before the end of x, the rest),
 * against the plain formula written here; a NaN in x leaves y as it was,
 * as in "x > y ? x : y". x holds exactly the 2(n-1)+1 values a stride-2 row
 * reads, so a read past them would show under a sanitizer. */
START_TEST(max_row_every_length)
{
    for (int64_t st = 1; st <= 3; st++)
        for (int64_t n = 0; n <= 70; n++) {
            const int64_t nx = n > 0 ? (n - 1) * st + 1 : 1;
            float *x = malloc(sizeof(float) * (size_t)nx), y[70], want[70];
            for (int64_t i = 0; i < nx; i++)
                x[i] = (i % 11 == 5) ? NAN : (float)(next() % 201) - 100.0f;
            for (int64_t i = 0; i < n; i++)
                y[i] = want[i] = (float)(next() % 201) - 100.0f;
            for (int64_t i = 0; i < n; i++)
                want[i] = x[i * st] > want[i] ? x[i * st] : want[i];
            dlk_pool_max_row_f32(y, x, st, n);
            ck_assert_msg(n == 0 || memcmp(y, want, sizeof(float) * (size_t)n) == 0, "stride %d, n %d",
                          (int)st, (int)n);
            free(x);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_pool2d");
    TCase *tc = tcase_create("maxpool2d");
    tcase_add_test(tc, maxpool2d_matches_general_kernel);
    tcase_add_test(tc, maxpool2d_3x3_rows);
    tcase_add_test(tc, avgpool2d_matches_general_kernel);
    tcase_add_test(tc, avgpool2d_3x3_stride2_rows);
    tcase_add_test(tc, max_row_every_length);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
