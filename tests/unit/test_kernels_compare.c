/* Hand-computed checks of runtime/kernels/compare.h and the wider element
 * types of runtime/kernels/binary.h. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels/compare.h"

/* A rank-1 plan over n elements: stride 1 for an operand of n elements, 0 for a scalar. */
static dlk_binary_params flat(int64_t n, int a_scalar, int b_scalar)
{
    dlk_binary_params p = {0};
    p.rank = 1;
    p.dims[0] = n;
    p.a_strides[0] = a_scalar ? 0 : 1;
    p.b_strides[0] = b_scalar ? 0 : 1;
    return p;
}

START_TEST(test_equal_broadcast_rows)
{
    /* a is 2x3, b is 1x3 broadcast over the rows: dims {2,3}, b's row stride 0.
     * a = [[1,2,3],[3,2,1]], b = [3,2,1] -> [[0,1,0],[1,1,1]] */
    const int32_t a[6] = {1, 2, 3, 3, 2, 1}, b[3] = {3, 2, 1};
    const uint8_t want[6] = {0, 1, 0, 1, 1, 1};
    uint8_t y[6];
    dlk_binary_params p = {0};
    int i;
    p.rank = 2;
    p.dims[0] = 2;
    p.dims[1] = 3;
    p.a_strides[0] = 3;
    p.a_strides[1] = 1;
    p.b_strides[0] = 0;
    p.b_strides[1] = 1;
    dlk_equal_bcast_i32(&p, a, b, y);
    for (i = 0; i < 6; i++)
        ck_assert_int_eq(y[i], want[i]);
}
END_TEST

START_TEST(test_compare_nan_and_unsigned)
{
    /* NaN compares false every way; 200 > 100 as uint8 (not as int8, where it is -56). */
    const float a[2] = {NAN, 1.0f}, b[2] = {1.0f, 1.0f};
    const uint8_t ua[1] = {200}, ub[1] = {100};
    uint8_t y[2];
    dlk_binary_params p = flat(2, 0, 0), p1 = flat(1, 0, 0);
    dlk_greater_equal_bcast_f32(&p, a, b, y);
    ck_assert_int_eq(y[0], 0);
    ck_assert_int_eq(y[1], 1);   /* 1 >= 1 */
    dlk_less_bcast_f32(&p, a, b, y);
    ck_assert_int_eq(y[0], 0);
    ck_assert_int_eq(y[1], 0);
    dlk_greater_bcast_u8(&p1, ua, ub, y);
    ck_assert_int_eq(y[0], 1);
}
END_TEST

START_TEST(test_logic)
{
    /* truth tables over (a,b) = (0,0) (0,1) (1,0) (1,1) */
    const uint8_t a[4] = {0, 0, 1, 1}, b[4] = {0, 1, 0, 1};
    uint8_t y[4];
    dlk_binary_params p = flat(4, 0, 0);
    dlk_and_bcast_bool(&p, a, b, y);
    ck_assert(y[0] == 0 && y[1] == 0 && y[2] == 0 && y[3] == 1);
    dlk_or_bcast_bool(&p, a, b, y);
    ck_assert(y[0] == 0 && y[1] == 1 && y[2] == 1 && y[3] == 1);
    dlk_xor_bcast_bool(&p, a, b, y);
    ck_assert(y[0] == 0 && y[1] == 1 && y[2] == 1 && y[3] == 0);
    dlk_not_bool(a, y, 4);
    ck_assert(y[0] == 1 && y[1] == 1 && y[2] == 0 && y[3] == 0);
}
END_TEST

START_TEST(test_mod_signs)
{
    /* Python %: -4 % 3 = 2, 4 % -3 = -2, -4 % -3 = -1, 4 % 3 = 1, 5 % 0 -> 0 (guarded).
     * C fmod-style: -4 % 3 = -1, 4 % -3 = 1. */
    const int32_t a[5] = {-4, 4, -4, 4, 5}, b[5] = {3, -3, -3, 3, 0};
    int32_t y[5];
    const float fa[2] = {-4.0f, 4.0f}, fb[2] = {3.0f, -3.0f};
    float fy[2];
    dlk_binary_params p = flat(5, 0, 0), p2 = flat(2, 0, 0);
    dlk_mod_bcast_i32(&p, a, b, y);
    ck_assert(y[0] == 2 && y[1] == -2 && y[2] == -1 && y[3] == 1 && y[4] == 0);
    dlk_fmod_bcast_i32(&p, a, b, y);
    ck_assert(y[0] == -1 && y[1] == 1 && y[2] == -1 && y[3] == 1);
    dlk_mod_bcast_f32(&p2, fa, fb, fy);      /* -4 mod 3 = 2, 4 mod -3 = -2 */
    ck_assert(fy[0] == 2.0f && fy[1] == -2.0f);
    dlk_fmod_bcast_f32(&p2, fa, fb, fy);     /* fmod(-4,3) = -1, fmod(4,-3) = 1 */
    ck_assert(fy[0] == -1.0f && fy[1] == 1.0f);
}
END_TEST

START_TEST(test_bitshift)
{
    /* uint8: 3 << 2 = 12, 255 << 1 = 510 -> 254 (wraps), 1 << 8 = 0 (shifted out); 16 >> 3 = 2.
     * int8 right: -8 >> 1 = -4 (arithmetic), -1 >> 9 = -1 (sign fill), 4 >> -1 = 0. */
    const uint8_t ua[3] = {3, 255, 1}, ub[3] = {2, 1, 8}, ra[1] = {16}, rb[1] = {3};
    const int8_t sa[3] = {-8, -1, 4}, sb[3] = {1, 9, -1};
    uint8_t uy[3];
    int8_t sy[3];
    dlk_binary_params p = flat(3, 0, 0), p1 = flat(1, 0, 0);
    dlk_shl_bcast_u8(&p, ua, ub, uy);
    ck_assert(uy[0] == 12 && uy[1] == 254 && uy[2] == 0);
    dlk_shr_bcast_u8(&p1, ra, rb, uy);
    ck_assert_int_eq(uy[0], 2);
    dlk_shr_bcast_i8(&p, sa, sb, sy);
    ck_assert(sy[0] == -4 && sy[1] == -1 && sy[2] == 0);
    dlk_shl_bcast_i8(&p, sa, sb, sy);      /* -8 << 1 = -16; -1 << 9 -> 0; 4 << -1 -> 0 */
    ck_assert(sy[0] == -16 && sy[1] == 0 && sy[2] == 0);
}
END_TEST

START_TEST(test_bitwise)
{
    /* 0b1100 & 0b1010 = 0b1000 = 8, | = 0b1110 = 14, ^ = 0b0110 = 6; ~0 as int16 = -1, ~0 as uint16 = 65535 */
    const int16_t a[1] = {12}, b[1] = {10};
    int16_t y[1];
    const int16_t zs[1] = {0};
    const uint16_t z[1] = {0};
    uint16_t zy[1];
    dlk_binary_params p = flat(1, 0, 0);
    dlk_bitwise_and_bcast_i16(&p, a, b, y);
    ck_assert_int_eq(y[0], 8);
    dlk_bitwise_or_bcast_i16(&p, a, b, y);
    ck_assert_int_eq(y[0], 14);
    dlk_bitwise_xor_bcast_i16(&p, a, b, y);
    ck_assert_int_eq(y[0], 6);
    dlk_bitwise_not_i16(zs, y, 1);
    ck_assert_int_eq(y[0], -1);
    dlk_bitwise_not_u16(z, zy, 1);
    ck_assert_int_eq(zy[0], 65535);
}
END_TEST

START_TEST(test_isinf_isnan_sign)
{
    const float x[4] = {INFINITY, -INFINITY, NAN, -2.5f};
    uint8_t y[4];
    float s[4];
    const int8_t ix[3] = {-7, 0, 9};
    int8_t is[3];
    dlk_isinf_f32(x, y, 4, 1, 1);
    ck_assert(y[0] == 1 && y[1] == 1 && y[2] == 0 && y[3] == 0);
    dlk_isinf_f32(x, y, 4, 0, 1);           /* detect_negative=0 */
    ck_assert(y[0] == 1 && y[1] == 0);
    dlk_isinf_f32(x, y, 4, 1, 0);           /* detect_positive=0 */
    ck_assert(y[0] == 0 && y[1] == 1);
    dlk_isnan_f32(x, y, 4);
    ck_assert(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 0);
    dlk_sign_f32(x, s, 4);                  /* 1, -1, NaN, -1 */
    ck_assert(s[0] == 1.0f && s[1] == -1.0f && isnan(s[2]) && s[3] == -1.0f);
    dlk_sign_i8(ix, is, 3);
    ck_assert(is[0] == -1 && is[1] == 0 && is[2] == 1);
}
END_TEST

START_TEST(test_where_broadcast)
{
    /* cond is 2x1 {1,0}, x is 1x3 {1,2,3}, z is a scalar 9:
     * row 0 takes x -> 1 2 3, row 1 takes z -> 9 9 9. */
    const uint8_t c[2] = {1, 0};
    const float x[3] = {1, 2, 3}, z[1] = {9};
    float y[6];
    const float want[6] = {1, 2, 3, 9, 9, 9};
    dlk_where_params p = {0};
    int i;
    p.rank = 2;
    p.dims[0] = 2;
    p.dims[1] = 3;
    p.c_strides[0] = 1;
    p.x_strides[1] = 1;
    dlk_where_4(&p, c, x, z, y);
    for (i = 0; i < 6; i++)
        ck_assert(y[i] == want[i]);
}
END_TEST

START_TEST(test_wider_binary_types)
{
    /* uint8 200 + 100 = 300 -> 44 (mod 256); uint16 300 * 300 = 90000 -> 24464 (mod 65536);
     * int8 -128 - 1 = -129 -> 127; uint64 max(2^63, 1) = 2^63; float64 1/3 exact to double. */
    const uint8_t a8[1] = {200}, b8[1] = {100};
    uint8_t y8[1];
    const uint16_t a16[1] = {300};
    uint16_t y16[1];
    const int8_t s8[1] = {-128}, one8[1] = {1};
    int8_t ys8[1];
    const uint64_t big[1] = {(uint64_t)1 << 63}, one64[1] = {1};
    uint64_t y64[1];
    const double d1[1] = {1.0}, d3[1] = {3.0};
    double yd[1];
    dlk_binary_params p = flat(1, 0, 0);
    dlk_add_bcast_u8(&p, a8, b8, y8);
    ck_assert_int_eq(y8[0], 44);
    dlk_mul_bcast_u16(&p, a16, a16, y16);
    ck_assert_int_eq(y16[0], 24464);
    dlk_sub_bcast_i8(&p, s8, one8, ys8);
    ck_assert_int_eq(ys8[0], 127);
    dlk_max_bcast_u64(&p, big, one64, y64);
    ck_assert(y64[0] == (uint64_t)1 << 63);
    dlk_div_bcast_f64(&p, d1, d3, yd);
    ck_assert(yd[0] == 1.0 / 3.0);
}
END_TEST

static Suite *compare_suite(void)
{
    Suite *s = suite_create("kernels_compare");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_equal_broadcast_rows);
    tcase_add_test(tc, test_compare_nan_and_unsigned);
    tcase_add_test(tc, test_logic);
    tcase_add_test(tc, test_mod_signs);
    tcase_add_test(tc, test_bitshift);
    tcase_add_test(tc, test_bitwise);
    tcase_add_test(tc, test_isinf_isnan_sign);
    tcase_add_test(tc, test_where_broadcast);
    tcase_add_test(tc, test_wider_binary_types);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compare_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
