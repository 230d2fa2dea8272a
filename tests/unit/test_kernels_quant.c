/* Hand-computed checks of the quantization kernels (runtime/kernels/quant.h). */
#include <check.h>
#include <stdlib.h>

#include "kernels/quant.h"

static dlk_quant_params per_tensor(int64_t n, int64_t type)
{
    dlk_quant_params p = {1, 0, 1, 1, 0, 0, 0, 0};
    p.axis_len = n;
    p.q_type = type;
    return p;
}

START_TEST(quantize_rounds_half_even_and_saturates)
{
    /* scale 2, zp 128: x/2 = 0, 1, 1.5, 2.5, -1.5, 500 -> rint 0, 1, 2, 2, -2, 500
     * -> +128 = 128, 129, 130, 130, 126, 628 -> saturate 255. */
    float x[6] = {0, 2, 3, 5, -3, 1000}, s = 2.0f;
    uint8_t zp = 128, y[6];
    dlk_quant_params p = per_tensor(6, DLK_Q_UINT8);
    dlk_quantize_f32(&p, x, &s, &zp, y);
    ck_assert_int_eq(y[0], 128);
    ck_assert_int_eq(y[1], 129);
    ck_assert_int_eq(y[2], 130);
    ck_assert_int_eq(y[3], 130);
    ck_assert_int_eq(y[4], 126);
    ck_assert_int_eq(y[5], 255);
}
END_TEST

START_TEST(quantize_int8_per_axis)
{
    /* x (2, 2) axis 0: row 0 scale 1 zp 0, row 1 scale 0.5 zp -1.
     * row 0: -200 -> -128 (saturated), 0.5 -> 0 (half to even);
     * row 1: 1/0.5 = 2 - 1 = 1, -1/0.5 = -2 - 1 = -3. */
    float x[4] = {-200, 0.5f, 1, -1}, s[2] = {1, 0.5f};
    int8_t zp[2] = {0, -1}, y[4];
    dlk_quant_params p = {1, 2, 2, 1, 0, 1, 0, DLK_Q_INT8};
    dlk_quantize_f32(&p, x, s, zp, y);
    ck_assert_int_eq(y[0], -128);
    ck_assert_int_eq(y[1], 0);
    ck_assert_int_eq(y[2], 1);
    ck_assert_int_eq(y[3], -3);
}
END_TEST

START_TEST(dequantize_blocked_int16)
{
    /* x (1, 4) blocked on axis 1 with block 2: scales {2, 10}, zps {1, -1}.
     * (3-1)*2 = 4, (1-1)*2 = 0, (0+1)*10 = 10, (-2+1)*10 = -10. */
    int16_t x[4] = {3, 1, 0, -2}, zp[2] = {1, -1};
    float s[2] = {2, 10}, y[4];
    dlk_quant_params p = {1, 4, 1, 2, 2, 1, 1, DLK_Q_INT16};
    dlk_dequantize_f32(&p, x, s, zp, y);
    ck_assert_float_eq(y[0], 4.0f);
    ck_assert_float_eq(y[1], 0.0f);
    ck_assert_float_eq(y[2], 10.0f);
    ck_assert_float_eq(y[3], -10.0f);
}
END_TEST

START_TEST(dynamic_quantize)
{
    /* range [-1, 1.55]: scale 2.55/255 = 0.01, zp = rint(0 - (-1)/0.01) = 100;
     * y = rint(x/0.01) + 100: -1 -> 0, 0 -> 100, 1.55 -> 255, 0.5 -> 150. */
    float x[4] = {-1.0f, 0.0f, 1.55f, 0.5f}, scale;
    uint8_t y[4], zp;
    dlk_dynamic_quantize_f32(4, x, y, &scale, &zp);
    ck_assert_float_eq_tol(scale, 0.01f, 1e-7f);
    ck_assert_int_eq(zp, 100);
    ck_assert_int_eq(y[0], 0);
    ck_assert_int_eq(y[1], 100);
    ck_assert_int_eq(y[2], 255);
    ck_assert_int_eq(y[3], 150);
}
END_TEST

START_TEST(matmul_integer_and_qlinear)
{
    /* a (2x2) uint8 zp 1: [[2, 3], [1, 5]] - 1 = [[1, 2], [0, 4]];
     * b (2x1) int8 zp 0: [[3], [-1]].  acc = [1*3 + 2*-1, 0*3 + 4*-1] = [1, -4].
     * QLinear with scales 0.5, 2, y_scale 0.5, y zp 10 (uint8): acc*2 + 10 = 12, 2. */
    uint8_t a[4] = {2, 3, 1, 5}, azp = 1, yzp = 10, yq[2];
    int8_t b[2] = {3, -1}, bzp = 0;
    int32_t y[2];
    float as = 0.5f, bs = 2.0f, ys = 0.5f;
    dlk_qmatmul_params p;
    memset(&p, 0, sizeof p);
    p.m = 2; p.n = 1; p.k = 2;
    p.a_type = DLK_Q_UINT8; p.b_type = DLK_Q_INT8; p.y_type = DLK_Q_INT32;
    dlk_matmul_integer(&p, a, b, &azp, &bzp, y);
    ck_assert_int_eq(y[0], 1);
    ck_assert_int_eq(y[1], -4);
    p.y_type = DLK_Q_UINT8;
    dlk_qlinear_matmul_f32(&p, a, &as, &azp, b, &bs, &bzp, &ys, &yzp, yq);
    ck_assert_int_eq(yq[0], 12);
    ck_assert_int_eq(yq[1], 2);
}
END_TEST

START_TEST(conv_integer_padded)
{
    /* x 1x1x2x2 = [[1, 2], [3, 4]] (uint8, zp 1 -> [[0, 1], [2, 3]]), w 1x1x2x2 all 1,
     * pads 1 on every side: out 3x3; each output sums the shifted window:
     * top-left sees only x'[0][0] = 0; top-middle x'[0][0]+x'[0][1] = 1; centre all = 6. */
    uint8_t x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1}, xzp = 1;
    int32_t y[9];
    dlk_qconv_params p;
    memset(&p, 0, sizeof p);
    p.n = 1; p.c_in = 1; p.c_out = 1; p.group = 1; p.rank = 2;
    p.in[0] = p.in[1] = 2;
    p.out[0] = p.out[1] = 3;
    p.kernel[0] = p.kernel[1] = 2;
    p.strides[0] = p.strides[1] = p.dilations[0] = p.dilations[1] = 1;
    p.pads[0] = p.pads[1] = p.pads[2] = p.pads[3] = 1;
    p.x_type = p.w_type = DLK_Q_UINT8;
    p.y_type = DLK_Q_INT32;
    dlk_conv_integer(&p, x, w, &xzp, NULL, y);
    ck_assert_int_eq(y[0], 0);
    ck_assert_int_eq(y[1], 1);
    ck_assert_int_eq(y[4], 6);
    ck_assert_int_eq(y[8], 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_quant");
    TCase *tc = tcase_create("quant");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, quantize_rounds_half_even_and_saturates);
    tcase_add_test(tc, quantize_int8_per_axis);
    tcase_add_test(tc, dequantize_blocked_int16);
    tcase_add_test(tc, dynamic_quantize);
    tcase_add_test(tc, matmul_integer_and_qlinear);
    tcase_add_test(tc, conv_integer_padded);
    suite_add_tcase(s, tc);
    (void)dlk_qlinear_conv_f32; /* covered by the conformance case test_qlinearconv */
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
