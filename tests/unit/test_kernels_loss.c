/* Hand-computed checks of the NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss kernels (runtime/kernels/loss.h). */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/loss.h"

static dlk_loss_params params(int64_t n, int64_t c, int64_t d, int64_t reduction, int64_t softmax)
{
    dlk_loss_params p = {0, 0, 0, 0, 0, 0, 0};
    p.n = n;
    p.c = c;
    p.d = d;
    p.reduction = reduction;
    p.softmax = softmax;
    return p;
}

/* x = [[1,2,3],[4,5,6]] (N=2, C=3), target [2,0]: picks 3 and 4. */
static const float nll_x[6] = {1, 2, 3, 4, 5, 6};
static const int64_t nll_t[2] = {2, 0};

START_TEST(test_nll_none_sum_mean)
{
    dlk_loss_params p = params(2, 3, 1, DLK_LOSS_NONE, 0);
    float y[2];
    dlk_loss_f32(&p, nll_x, nll_t, NULL, NULL, y, NULL);
    ck_assert_float_eq(y[0], -3.0f);
    ck_assert_float_eq(y[1], -4.0f);
    p.reduction = DLK_LOSS_SUM;
    dlk_loss_f32(&p, nll_x, nll_t, NULL, NULL, y, NULL);
    ck_assert_float_eq(y[0], -7.0f);            /* -3 + -4 */
    p.reduction = DLK_LOSS_MEAN;
    dlk_loss_f32(&p, nll_x, nll_t, NULL, NULL, y, NULL);
    ck_assert_float_eq(y[0], -3.5f);            /* -7 / 2 */
}
END_TEST

START_TEST(test_nll_weight)
{
    static const float w[3] = {0.5f, 1.0f, 2.0f};
    dlk_loss_params p = params(2, 3, 1, DLK_LOSS_NONE, 0);
    float y[2];
    dlk_loss_f32(&p, nll_x, nll_t, NULL, w, y, NULL);
    ck_assert_float_eq(y[0], -6.0f);            /* -3 * w[2] = -3 * 2 */
    ck_assert_float_eq(y[1], -2.0f);            /* -4 * w[0] = -4 * 0.5 */
    p.reduction = DLK_LOSS_MEAN;
    dlk_loss_f32(&p, nll_x, nll_t, NULL, w, y, NULL);
    ck_assert_float_eq_tol(y[0], -3.2f, 1e-6f); /* (-6 + -2) / (2 + 0.5) */
}
END_TEST

START_TEST(test_nll_ignore_index_int32)
{
    static const int32_t t[2] = {2, 0};
    dlk_loss_params p = params(2, 3, 1, DLK_LOSS_NONE, 0);
    float y[2];
    p.has_ignore = 1;
    p.ignore_index = 0;
    dlk_loss_f32(&p, nll_x, NULL, t, NULL, y, NULL);
    ck_assert_float_eq(y[0], -3.0f);
    ck_assert_float_eq(y[1], 0.0f);             /* target 0 is ignored */
    p.reduction = DLK_LOSS_MEAN;
    dlk_loss_f32(&p, nll_x, NULL, t, NULL, y, NULL);
    ck_assert_float_eq(y[0], -3.0f);            /* -3 / 1 non-ignored target */
    p.ignore_index = 2;
    {
        static const int32_t all[2] = {2, 2};
        dlk_loss_f32(&p, nll_x, NULL, all, NULL, y, NULL);
        ck_assert(isnan(y[0]));                 /* 0 / 0, as the ONNX reference */
    }
}
END_TEST

/* N=1, C=2, D=2: x(k, j) = [[1,2],[3,4]]; target [1,0] picks x(1,0)=3, x(0,1)=2. */
START_TEST(test_nll_spatial_f64)
{
    static const double x[4] = {1, 2, 3, 4};
    static const int64_t t[2] = {1, 0};
    dlk_loss_params p = params(1, 2, 2, DLK_LOSS_NONE, 0);
    double y[2];
    dlk_loss_f64(&p, x, t, NULL, NULL, y, NULL);
    ck_assert_double_eq(y[0], -3.0);
    ck_assert_double_eq(y[1], -2.0);
}
END_TEST

/* Each row x = [0, ln 3]: softmax [1/4, 3/4], log_prob [ln 0.25, ln 0.75]
 * = [-1.3862944, -0.2876821]. Targets [0, 1]: losses 1.3862944, 0.2876821,
 * mean 0.8369882, sum 1.6739764. */
START_TEST(test_sce_f32)
{
    const float l3 = logf(3.0f);
    const float x[4] = {0.0f, l3, 0.0f, l3};
    static const int64_t t[2] = {0, 1};
    dlk_loss_params p = params(2, 2, 1, DLK_LOSS_NONE, 1);
    float y[2], lp[4];
    dlk_loss_f32(&p, x, t, NULL, NULL, y, lp);
    ck_assert_float_eq_tol(y[0], 1.3862944f, 1e-6f);
    ck_assert_float_eq_tol(y[1], 0.2876821f, 1e-6f);
    ck_assert_float_eq_tol(lp[0], -1.3862944f, 1e-6f);
    ck_assert_float_eq_tol(lp[1], -0.2876821f, 1e-6f);
    ck_assert_float_eq_tol(lp[3], -0.2876821f, 1e-6f);
    p.reduction = DLK_LOSS_MEAN;
    dlk_loss_f32(&p, x, t, NULL, NULL, y, NULL);
    ck_assert_float_eq_tol(y[0], 0.8369882f, 1e-6f);
    p.reduction = DLK_LOSS_SUM;
    dlk_loss_f32(&p, x, t, NULL, NULL, y, NULL);
    ck_assert_float_eq_tol(y[0], 1.6739764f, 1e-6f);
}
END_TEST

/* Same rows in float64 with weight [1, 3]: losses 1.3862944*1, 0.2876821*3
 * = 0.8630462; mean (1.3862944 + 0.8630462) / (1 + 3) = 0.5623351. */
START_TEST(test_sce_f64_weight)
{
    const double l3 = log(3.0);
    const double x[4] = {0.0, l3, 0.0, l3};
    static const int64_t t[2] = {0, 1};
    static const double w[2] = {1.0, 3.0};
    dlk_loss_params p = params(2, 2, 1, DLK_LOSS_MEAN, 1);
    double y[1];
    dlk_loss_f64(&p, x, t, NULL, w, y, NULL);
    ck_assert_double_eq_tol(y[0], 0.5623351, 1e-7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_loss");
    TCase *tc = tcase_create("loss");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, test_nll_none_sum_mean);
    tcase_add_test(tc, test_nll_weight);
    tcase_add_test(tc, test_nll_ignore_index_int32);
    tcase_add_test(tc, test_nll_spatial_f64);
    tcase_add_test(tc, test_sce_f32);
    tcase_add_test(tc, test_sce_f64_weight);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
