/* The generic reduction kernel (every DLK_RED_* op, several dtypes, empty
 * sets), ArgMax/ArgMin, CumSum and TopK. Expected values are worked out by
 * hand in the comments. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels/reduce.h"
#include "kernels/topk.h"

/* x (2,3,2) = 1..12, reduce dim 1: y[o][i] = sum_j x[o][j][i]
 * o=0: 1+3+5=9, 2+4+6=12; o=1: 7+9+11=27, 8+10+12=30. */
START_TEST(sum_middle_axis_f32)
{
    int64_t op = DLK_RED_SUM;
    const dlk_reduce_params p = {3, {2, 3, 2}, {2, 0, 1}, 4, 3};
    float x[12], y[4];
    const float want[4] = {9, 12, 27, 30};
    int i;
    for (i = 0; i < 12; i++)
        x[i] = (float)(i + 1);
    dlk_reduce_f32(&p, op, x, y);
    for (i = 0; i < 4; i++)
        ck_assert_float_eq(y[i], want[i]);
}
END_TEST

/* rows (3,4) and (6,8): sqrt(9+16)=5, sqrt(36+64)=10. */
START_TEST(l2_last_axis_f32)
{
    int64_t op = DLK_RED_L2;
    const dlk_reduce_params p = {2, {2, 2}, {1, 0}, 2, 2};
    const float x[4] = {3, 4, 6, 8};
    float y[2];
    dlk_reduce_f32(&p, op, x, y);
    ck_assert_float_eq_tol(y[0], 5.0f, 1e-6f);
    ck_assert_float_eq_tol(y[1], 10.0f, 1e-6f);
}
END_TEST

/* log(exp(0) + exp(ln 3)) = log(1 + 3) = log 4; log(2 + 2) = log 4 too. */
START_TEST(logsumexp_and_logsum_f64)
{
    int64_t op = DLK_RED_LOGSUMEXP;
    dlk_reduce_params p = {1, {2}, {0}, 1, 2};
    const double x[2] = {0.0, log(3.0)}, x2[2] = {2.0, 2.0};
    double y[1];
    dlk_reduce_f64(&p, op, x, y);
    ck_assert_double_eq_tol(y[0], log(4.0), 1e-12);
    op = DLK_RED_LOGSUM;
    dlk_reduce_f64(&p, op, x2, y);
    ck_assert_double_eq_tol(y[0], log(4.0), 1e-12);
}
END_TEST

/* [[100,0],[100,0]] over dim 0 (kept last dim, so y holds the running
 * value in float): log(e^100 + e^100) = 100 + ln 2 = 100.693147, and
 * log(1 + 1) = ln 2 = 0.693147; e^100 alone would overflow a float. */
START_TEST(logsumexp_large_f32)
{
    const dlk_reduce_params p = {2, {2, 2}, {0, 1}, 2, 2};
    const float x[4] = {100, 0, 100, 0};
    float y[2];
    dlk_reduce_f32(&p, DLK_RED_LOGSUMEXP, x, y);
    ck_assert_float_eq_tol(y[0], 100.693147f, 1e-4f);
    ck_assert_float_eq_tol(y[1], 0.693147f, 1e-6f);
}
END_TEST

/* [[-1,2],[3,-4]] over dim 0: |-1|+|3| = 4, |2|+|-4| = 6. */
START_TEST(l1_first_axis_i64)
{
    int64_t op = DLK_RED_L1;
    const dlk_reduce_params p = {2, {2, 2}, {0, 1}, 2, 2};
    const int64_t x[4] = {-1, 2, 3, -4};
    int64_t y[2];
    dlk_reduce_i64(&p, op, x, y);
    ck_assert_int_eq(y[0], 4);
    ck_assert_int_eq(y[1], 6);
}
END_TEST

/* 1 + 4 + 9 = 14; prod 1*-2*3 = -6; max 3; min -2. */
START_TEST(sumsquare_prod_max_min_i8)
{
    int64_t op = DLK_RED_SUMSQUARE;
    dlk_reduce_params p = {1, {3}, {0}, 1, 3};
    const int8_t x[3] = {1, -2, 3};
    int8_t y[1];
    dlk_reduce_i8(&p, op, x, y);
    ck_assert_int_eq(y[0], 14);
    op = DLK_RED_PROD;
    dlk_reduce_i8(&p, op, x, y);
    ck_assert_int_eq(y[0], -6);
    op = DLK_RED_MAX;
    dlk_reduce_i8(&p, op, x, y);
    ck_assert_int_eq(y[0], 3);
    op = DLK_RED_MIN;
    dlk_reduce_i8(&p, op, x, y);
    ck_assert_int_eq(y[0], -2);
}
END_TEST

/* integer mean truncates: (1+2+4)/3 = 7/3 = 2. */
START_TEST(mean_i32)
{
    int64_t op = DLK_RED_MEAN;
    const dlk_reduce_params p = {1, {3}, {0}, 1, 3};
    const int32_t x[3] = {1, 2, 4};
    int32_t y[1];
    dlk_reduce_i32(&p, op, x, y);
    ck_assert_int_eq(y[0], 2);
}
END_TEST

/* x (2,0), reduce dim 1: nothing meets in each of the 2 outputs, so they
 * are the identities: max -inf, min +inf (float) / INT32_MAX, prod 1,
 * sum 0, log-sum log 0 = -inf, log-sum-exp -inf. */
START_TEST(empty_sets)
{
    int64_t op = DLK_RED_MAX;
    dlk_reduce_params p = {2, {2, 0}, {1, 0}, 2, 0};
    const float x[1] = {0};
    const int32_t xi[1] = {0};
    float y[2];
    int32_t yi[2];
    dlk_reduce_f32(&p, op, x, y);
    ck_assert(isinf(y[0]) && y[0] < 0 && isinf(y[1]) && y[1] < 0);
    op = DLK_RED_MIN;
    dlk_reduce_f32(&p, op, x, y);
    ck_assert(isinf(y[0]) && y[0] > 0);
    dlk_reduce_i32(&p, op, xi, yi);
    ck_assert_int_eq(yi[0], INT32_MAX);
    op = DLK_RED_PROD;
    dlk_reduce_f32(&p, op, x, y);
    ck_assert_float_eq(y[1], 1.0f);
    op = DLK_RED_SUM;
    dlk_reduce_f32(&p, op, x, y);
    ck_assert_float_eq(y[0], 0.0f);
    op = DLK_RED_LOGSUM;
    dlk_reduce_f32(&p, op, x, y);
    ck_assert(isinf(y[0]) && y[0] < 0);
    op = DLK_RED_LOGSUMEXP;
    dlk_reduce_f32(&p, op, x, y);
    ck_assert(isinf(y[1]) && y[1] < 0);
}
END_TEST

/* bool [0,1,0]: max 1, min 0; the empty min is true (1), the empty max false. */
START_TEST(bool_max_min)
{
    int64_t op = DLK_RED_MAX;
    dlk_reduce_params p = {1, {3}, {0}, 1, 3};
    const dlk_reduce_params e = {2, {1, 0}, {1, 0}, 1, 0};
    const uint8_t x[3] = {0, 1, 0};
    uint8_t y[1];
    dlk_reduce_bool(&p, op, x, y);
    ck_assert_int_eq(y[0], 1);
    op = DLK_RED_MIN;
    dlk_reduce_bool(&p, op, x, y);
    ck_assert_int_eq(y[0], 0);
    dlk_reduce_bool(&e, DLK_RED_MIN, x, y);
    ck_assert_int_eq(y[0], 1);
}
END_TEST

/* [1,3,3,2]: the max 3 is first at 1, last at 2. */
START_TEST(argmax_ties)
{
    dlk_arg_params p = {1, 4, 1, 0, 0};
    const float x[4] = {1, 3, 3, 2};
    int64_t y[1];
    dlk_arg_f32(&p, x, y);
    ck_assert_int_eq(y[0], 1);
    p.select_last = 1;
    dlk_arg_f32(&p, x, y);
    ck_assert_int_eq(y[0], 2);
}
END_TEST

/* [[4,1,6],[2,5,6]] along dim 0 (inner 3): min of (4,2) at 1, (1,5) at 0,
 * (6,6) at 0, or at 1 with select_last. */
START_TEST(argmin_axis0_i32)
{
    dlk_arg_params p = {1, 2, 3, 1, 0};
    const int32_t x[6] = {4, 1, 6, 2, 5, 6};
    int64_t y[3];
    dlk_arg_i32(&p, x, y);
    ck_assert_int_eq(y[0], 1);
    ck_assert_int_eq(y[1], 0);
    ck_assert_int_eq(y[2], 0);
    p.select_last = 1;
    dlk_arg_i32(&p, x, y);
    ck_assert_int_eq(y[2], 1);
}
END_TEST

/* [1,2,3,4]: inclusive [1,3,6,10], exclusive [0,1,3,6], reverse [10,9,7,4],
 * reverse exclusive [9,7,4,0]. */
START_TEST(cumsum_1d_modes)
{
    dlk_cumsum_params p = {1, {4}, 0, 0, 0};
    const double x[4] = {1, 2, 3, 4};
    const double want[4][4] = {{1, 3, 6, 10}, {0, 1, 3, 6}, {10, 9, 7, 4}, {9, 7, 4, 0}};
    double y[4];
    int m, i;
    for (m = 0; m < 4; m++) {
        p.exclusive = m & 1;
        p.reverse = m >> 1;
        dlk_cumsum_f64(&p, x, NULL, NULL, y);
        for (i = 0; i < 4; i++)
            ck_assert_double_eq(y[i], want[m][i]);
    }
}
END_TEST

/* [[1,2,3],[4,5,6]]; axis 0 from an int32 tensor: [[1,2,3],[5,7,9]];
 * axis -1 from an int64 tensor: [[1,3,6],[4,9,15]]. */
START_TEST(cumsum_runtime_axis_i32)
{
    const dlk_cumsum_params p = {2, {2, 3}, 0, 0, 0};
    const int32_t x[6] = {1, 2, 3, 4, 5, 6}, a0 = 0;
    const int64_t a1 = -1;
    const int32_t want0[6] = {1, 2, 3, 5, 7, 9}, want1[6] = {1, 3, 6, 4, 9, 15};
    int32_t y[6];
    int i;
    dlk_cumsum_i32(&p, x, NULL, &a0, y);
    for (i = 0; i < 6; i++)
        ck_assert_int_eq(y[i], want0[i]);
    dlk_cumsum_i32(&p, x, &a1, NULL, y);
    for (i = 0; i < 6; i++)
        ck_assert_int_eq(y[i], want1[i]);
}
END_TEST

/* [3,1,3,2,5]: largest 3 = 5@4, 3@0, 3@2 (tie: lower index first);
 * smallest 2 = 1@1, 2@3. */
START_TEST(topk_1d)
{
    dlk_topk_params p = {1, 5, 1, 3, 1};
    const float x[5] = {3, 1, 3, 2, 5};
    float v[3];
    int64_t i[3];
    dlk_topk_f32(&p, x, v, i);
    ck_assert_float_eq(v[0], 5);
    ck_assert_float_eq(v[1], 3);
    ck_assert_float_eq(v[2], 3);
    ck_assert_int_eq(i[0], 4);
    ck_assert_int_eq(i[1], 0);
    ck_assert_int_eq(i[2], 2);
    p.k = 2;
    p.largest = 0;
    dlk_topk_f32(&p, x, v, i);
    ck_assert_float_eq(v[0], 1);
    ck_assert_float_eq(v[1], 2);
    ck_assert_int_eq(i[0], 1);
    ck_assert_int_eq(i[1], 3);
}
END_TEST

/* x (3,2) = [[1,9],[7,2],[4,8]], k=2 along dim 0: column 0 -> 7@1, 4@2;
 * column 1 -> 9@0, 8@2; so values [[7,9],[4,8]], indices [[1,0],[2,2]]. */
START_TEST(topk_axis0_i64)
{
    const dlk_topk_params p = {1, 3, 2, 2, 1};
    const int64_t x[6] = {1, 9, 7, 2, 4, 8};
    const int64_t wv[4] = {7, 9, 4, 8}, wi[4] = {1, 0, 2, 2};
    int64_t v[4], i[4];
    int j;
    dlk_topk_i64(&p, x, v, i);
    for (j = 0; j < 4; j++) {
        ck_assert_int_eq(v[j], wv[j]);
        ck_assert_int_eq(i[j], wi[j]);
    }
}
END_TEST

/* all equal: the lowest indices win, in order. */
START_TEST(topk_ties_u64)
{
    const dlk_topk_params p = {1, 3, 1, 2, 1};
    const uint64_t x[3] = {5, 5, 5};
    uint64_t v[2];
    int64_t i[2];
    dlk_topk_u64(&p, x, v, i);
    ck_assert_int_eq(i[0], 0);
    ck_assert_int_eq(i[1], 1);
    ck_assert_uint_eq(v[0], 5);
}
END_TEST

/* Every instantiation on [1,2]: max 2; argmax 1; cumsum [1,3]; top-1 2@1. */
#define SMOKE(S, T)                                                   \
    do {                                                              \
        const T x[2] = {1, 2};                                        \
        T y[2];                                                       \
        int64_t i[1];                                                 \
        dlk_reduce_##S(&rp, DLK_RED_MAX, x, y);                       \
        ck_assert(y[0] == 2);                                         \
        dlk_topk_##S(&tp, x, y, i);                                   \
        ck_assert(y[0] == 2 && i[0] == 1);                            \
    } while (0)
#define SMOKE_ARG(S, T)                                               \
    do {                                                              \
        const T x[2] = {1, 2};                                        \
        int64_t i[1];                                                 \
        dlk_arg_##S(&ap, x, i);                                       \
        ck_assert(i[0] == 1);                                         \
    } while (0)
#define SMOKE_CUMSUM(S, T)                                            \
    do {                                                              \
        const T x[2] = {1, 2};                                        \
        T y[2];                                                       \
        dlk_cumsum_##S(&cp, x, NULL, NULL, y);                        \
        ck_assert(y[0] == 1 && y[1] == 3);                            \
    } while (0)

START_TEST(every_dtype)
{
    const dlk_reduce_params rp = {1, {2}, {0}, 1, 2};
    const dlk_topk_params tp = {1, 2, 1, 1, 1};
    const dlk_arg_params ap = {1, 2, 1, 0, 0};
    const dlk_cumsum_params cp = {1, {2}, 0, 0, 0};
    const uint8_t b[2] = {0, 1};
    uint8_t by[1];
    uint64_t qy[1];
    int64_t qi[1];
    const uint64_t q[2] = {1, 2};
    SMOKE(f32, float);
    SMOKE(f64, double);
    SMOKE(i32, int32_t);
    SMOKE(i64, int64_t);
    SMOKE(i8, int8_t);
    SMOKE(u8, uint8_t);
    SMOKE_ARG(f32, float);
    SMOKE_ARG(f64, double);
    SMOKE_ARG(i32, int32_t);
    SMOKE_ARG(i64, int64_t);
    SMOKE_ARG(i8, int8_t);
    SMOKE_ARG(u8, uint8_t);
    SMOKE_CUMSUM(f32, float);
    SMOKE_CUMSUM(f64, double);
    SMOKE_CUMSUM(i32, int32_t);
    SMOKE_CUMSUM(i64, int64_t);
    dlk_reduce_bool(&rp, DLK_RED_MAX, b, by);
    ck_assert_int_eq(by[0], 1);
    dlk_topk_u64(&tp, q, qy, qi);
    ck_assert(qy[0] == 2 && qi[0] == 1);
    /* mean of [1,2] = 1.5 through the float kernel the compiler keeps */
    {
        const float x[2] = {1, 2};
        float y[1];
        dlk_reduce_mean_f32(&rp, x, y);
        ck_assert_float_eq(y[0], 1.5f);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_reduce_more");
    TCase *r = tcase_create("reduce"), *a = tcase_create("arg_cumsum_topk");
    SRunner *sr;
    int failed;
    tcase_add_test(r, sum_middle_axis_f32);
    tcase_add_test(r, l2_last_axis_f32);
    tcase_add_test(r, logsumexp_and_logsum_f64);
    tcase_add_test(r, logsumexp_large_f32);
    tcase_add_test(r, l1_first_axis_i64);
    tcase_add_test(r, sumsquare_prod_max_min_i8);
    tcase_add_test(r, mean_i32);
    tcase_add_test(r, empty_sets);
    tcase_add_test(r, bool_max_min);
    tcase_add_test(a, argmax_ties);
    tcase_add_test(a, argmin_axis0_i32);
    tcase_add_test(a, cumsum_1d_modes);
    tcase_add_test(a, cumsum_runtime_axis_i32);
    tcase_add_test(a, topk_1d);
    tcase_add_test(a, topk_axis0_i64);
    tcase_add_test(a, topk_ties_u64);
    tcase_add_test(a, every_dtype);
    suite_add_tcase(s, r);
    suite_add_tcase(s, a);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
