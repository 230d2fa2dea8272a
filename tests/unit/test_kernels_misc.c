/* Hand-computed checks of the misc kernels: Clip with run-time bounds,
 * LpPool / GlobalLpPool, CumProd and Einsum. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/einsum.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"
#include "kernels/unary.h"

START_TEST(clip_rt_bounds)
{
    const float x[4] = {-3.0f, -0.5f, 0.5f, 3.0f};
    const float lo = -1.0f, hi = 1.0f, lo2 = 2.0f;
    float y[4];
    const int8_t xi[3] = {-128, 0, 127};
    const int8_t hi8 = 5;
    int8_t yi[3];
    dlk_clip_rt_f32(x, &lo, &hi, y, 4);          /* clamp to [-1, 1] */
    ck_assert(y[0] == -1.0f && y[1] == -0.5f && y[2] == 0.5f && y[3] == 1.0f);
    dlk_clip_rt_f32(x, NULL, &hi, y, 4);         /* max only */
    ck_assert(y[0] == -3.0f && y[3] == 1.0f);
    dlk_clip_rt_f32(x, &lo2, &hi, y, 4);         /* min 2 > max 1: everything is max */
    ck_assert(y[0] == 1.0f && y[1] == 1.0f && y[2] == 1.0f && y[3] == 1.0f);
    dlk_clip_rt_i8(xi, NULL, &hi8, yi, 3);       /* int8, max 5 */
    ck_assert(yi[0] == -128 && yi[1] == 0 && yi[2] == 5);
}
END_TEST

START_TEST(lppool_1d)
{
    /* x = [3, 4, 0, 1], kernel 2, stride 2, p 2:
     * y0 = sqrt(9 + 16) = 5, y1 = sqrt(0 + 1) = 1. */
    dlk_pool_params p = {0};
    const float x[4] = {3.0f, -4.0f, 0.0f, 1.0f};
    float y[2];
    p.n = 1; p.c = 1; p.rank = 1;
    p.in[0] = 4; p.out[0] = 2; p.kernel[0] = 2; p.strides[0] = 2; p.dilations[0] = 1;
    dlk_lppool_f32(&p, 2.0f, x, y);
    ck_assert(fabsf(y[0] - 5.0f) < 1e-5f && fabsf(y[1] - 1.0f) < 1e-5f);
    /* pads 1 at both ends, kernel 2, stride 2, p 1: windows [pad,3] [-4,0] [1,pad]
     * -> 3, 4, 1 (padding adds 0). */
    p.out[0] = 3; p.pads[0] = 1; p.pads[1] = 1;
    {
        float y3[3];
        dlk_lppool_f32(&p, 1.0f, x, y3);
        ck_assert(fabsf(y3[0] - 3.0f) < 1e-5f && fabsf(y3[1] - 4.0f) < 1e-5f && fabsf(y3[2] - 1.0f) < 1e-5f);
    }
}
END_TEST

START_TEST(global_lppool)
{
    /* planes [1, 2, 2] and [0, 0, -3], p 2: sqrt(1+4+4) = 3, sqrt(9) = 3. */
    const float x[6] = {1, 2, 2, 0, 0, -3};
    float y[2];
    dlk_global_lppool_f32(2, 3, 2.0f, x, y);
    ck_assert(fabsf(y[0] - 3.0f) < 1e-5f && fabsf(y[1] - 3.0f) < 1e-5f);
}
END_TEST

START_TEST(cumprod)
{
    dlk_cumsum_params p = {0};
    const double x[5] = {1, 2, 3, 4, 5};
    double y[5];
    const int32_t xi[6] = {1, 2, 3, 4, 5, 6};
    int32_t yi[6];
    const int64_t axis0 = 0;
    p.rank = 1; p.dims[0] = 5;
    dlk_cumprod_f64(&p, x, NULL, NULL, y);             /* 1 2 6 24 120 */
    ck_assert(y[0] == 1 && y[1] == 2 && y[2] == 6 && y[3] == 24 && y[4] == 120);
    p.exclusive = 1;
    dlk_cumprod_f64(&p, x, NULL, NULL, y);             /* 1 1 2 6 24 */
    ck_assert(y[0] == 1 && y[1] == 1 && y[2] == 2 && y[3] == 6 && y[4] == 24);
    p.reverse = 1;
    dlk_cumprod_f64(&p, x, NULL, NULL, y);             /* 120 60 20 5 1 */
    ck_assert(y[0] == 120 && y[1] == 60 && y[2] == 20 && y[3] == 5 && y[4] == 1);
    /* 2x3 [[1,2,3],[4,5,6]], axis 1 by default field, then axis 0 at run time. */
    memset(&p, 0, sizeof p);
    p.rank = 2; p.dims[0] = 2; p.dims[1] = 3; p.axis = 1;
    dlk_cumprod_i32(&p, xi, NULL, NULL, yi);           /* [[1,2,6],[4,20,120]] */
    ck_assert(yi[0] == 1 && yi[1] == 2 && yi[2] == 6 && yi[3] == 4 && yi[4] == 20 && yi[5] == 120);
    dlk_cumprod_i32(&p, xi, &axis0, NULL, yi);         /* [[1,2,3],[4,10,18]] */
    ck_assert(yi[0] == 1 && yi[1] == 2 && yi[2] == 3 && yi[3] == 4 && yi[4] == 10 && yi[5] == 18);
}
END_TEST

START_TEST(einsum_matmul_and_diagonal)
{
    /* "ij,jk->ik", A 2x2 [[1,2],[3,4]], B 2x2 [[5,6],[7,8]]:
     * [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = [[19,22],[43,50]].
     * Labels i,k (output), j (summed); strides A: i 2, k 0, j 1; B: i 0, k 1, j 2. */
    dlk_einsum_params p = {0};
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    float y[4];
    p.n_inputs = 2; p.n_labels = 3; p.n_out = 2;
    p.sizes[0] = 2; p.sizes[1] = 2; p.sizes[2] = 2;
    p.strides[0] = 2; p.strides[1] = 0; p.strides[2] = 1;
    p.strides[DLK_EINSUM_MAX_LABELS + 0] = 0;
    p.strides[DLK_EINSUM_MAX_LABELS + 1] = 1;
    p.strides[DLK_EINSUM_MAX_LABELS + 2] = 2;
    dlk_einsum_f32(&p, a, b, NULL, NULL, y);
    ck_assert(y[0] == 19 && y[1] == 22 && y[2] == 43 && y[3] == 50);
    /* "ii->i" on A: one label, stride 2 + 1 = 3: [1, 4]. "ii->" sums it: 5. */
    memset(&p, 0, sizeof p);
    p.n_inputs = 1; p.n_labels = 1; p.n_out = 1; p.sizes[0] = 2; p.strides[0] = 3;
    dlk_einsum_f32(&p, a, NULL, NULL, NULL, y);
    ck_assert(y[0] == 1 && y[1] == 4);
    p.n_out = 0;
    dlk_einsum_f32(&p, a, NULL, NULL, NULL, y);
    ck_assert(y[0] == 5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_misc");
    TCase *tc = tcase_create("misc");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, clip_rt_bounds);
    tcase_add_test(tc, lppool_1d);
    tcase_add_test(tc, global_lppool);
    tcase_add_test(tc, cumprod);
    tcase_add_test(tc, einsum_matmul_and_diagonal);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
