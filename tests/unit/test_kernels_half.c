/* float16 conversions (half.h) and the float16 Cast loops (cast.h), on
 * hand-computed bit patterns. A float16 is 1 sign bit, 5 exponent bits
 * (bias 15) and 10 mantissa bits: value = (1 + m/1024) * 2^(e-15), or
 * m * 2^-24 when e == 0. Header-only: needs no library. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cast.h"
#include "kernels/half.h"

static float bits_f32(uint32_t x)
{
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

#define EXPECT_H(got, want) \
    ck_assert_msg((got) == (want), "%s: got 0x%04X, expected 0x%04X", #got, (unsigned)(got), (unsigned)(want))

START_TEST(test_f32_to_f16_exact)
{
    EXPECT_H(dlk_f32_to_f16(1.0f), 0x3C00);      /* e = 15, m = 0 */
    EXPECT_H(dlk_f32_to_f16(-2.0f), 0xC000);     /* sign, e = 16 */
    EXPECT_H(dlk_f32_to_f16(0.5f), 0x3800);      /* e = 14 */
    EXPECT_H(dlk_f32_to_f16(1.5f), 0x3E00);      /* m = 512 */
    EXPECT_H(dlk_f32_to_f16(65504.0f), 0x7BFF);  /* (2 - 2^-10) * 2^15, the largest finite */
    EXPECT_H(dlk_f32_to_f16(6.103515625e-5f), 0x0400);    /* 2^-14, the smallest normal */
    EXPECT_H(dlk_f32_to_f16(5.9604644775390625e-8f), 0x0001); /* 2^-24, the smallest subnormal */
    EXPECT_H(dlk_f32_to_f16(3.0517578125e-5f), 0x0200); /* 2^-15 = 512 * 2^-24 */
    EXPECT_H(dlk_f32_to_f16(0.0f), 0x0000);
    EXPECT_H(dlk_f32_to_f16(-0.0f), 0x8000);
}
END_TEST

START_TEST(test_f32_to_f16_rounding)
{
    /* 0.1 = 1.6 * 2^-4: e = 11, m = 0.6 * 1024 = 614.4 -> 614 = 0x266: 0x2C00 | 0x266. */
    EXPECT_H(dlk_f32_to_f16(0.1f), 0x2E66);
    /* 1 + 2^-11 is halfway between 0x3C00 and 0x3C01: ties to even -> 0x3C00. */
    EXPECT_H(dlk_f32_to_f16(1.0f + 0.00048828125f), 0x3C00);
    /* 1 + 3 * 2^-11 is halfway between 0x3C01 and 0x3C02: to even -> 0x3C02. */
    EXPECT_H(dlk_f32_to_f16(1.0f + 3 * 0.00048828125f), 0x3C02);
    /* Just above the first halfway point rounds up: 1 + 2^-11 + 2^-20 -> 0x3C01. */
    EXPECT_H(dlk_f32_to_f16(1.0f + 0.00048828125f + 9.5367431640625e-7f), 0x3C01);
    /* 65519 < 65520 = halfway to 2^16 -> 65504; 65520 ties to even (the carry) -> Inf. */
    EXPECT_H(dlk_f32_to_f16(65519.0f), 0x7BFF);
    EXPECT_H(dlk_f32_to_f16(65520.0f), 0x7C00);
    EXPECT_H(dlk_f32_to_f16(-1e6f), 0xFC00);
    /* 2^-25 is halfway between 0 and 2^-24: to even -> 0; a bit more -> 0x0001. */
    EXPECT_H(dlk_f32_to_f16(2.98023223876953125e-8f), 0x0000);
    EXPECT_H(dlk_f32_to_f16(3.0e-8f), 0x0001);
    /* 1.5 * 2^-24 is halfway between 0x0001 and 0x0002: to even -> 0x0002. */
    EXPECT_H(dlk_f32_to_f16(8.940696716308594e-8f), 0x0002);
    /* 2^-14 - 2^-25 is halfway between 0x03FF and 0x0400: to even -> 0x0400 (a normal). */
    EXPECT_H(dlk_f32_to_f16(6.103515625e-5f - 2.98023223876953125e-8f), 0x0400);
    EXPECT_H(dlk_f32_to_f16(1e-10f), 0x0000);    /* far below 2^-25 */
}
END_TEST

START_TEST(test_f32_to_f16_special)
{
    EXPECT_H(dlk_f32_to_f16(INFINITY), 0x7C00);
    EXPECT_H(dlk_f32_to_f16(-INFINITY), 0xFC00);
    /* A NaN stays a NaN: exponent all ones and a non-zero mantissa. */
    {
        const uint16_t h = dlk_f32_to_f16(bits_f32(0x7FC00000u));
        ck_assert((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0);
    }
    {   /* a signalling NaN with only a low payload bit must not become Inf */
        const uint16_t h = dlk_f32_to_f16(bits_f32(0x7F800001u));
        ck_assert((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0);
    }
    /* The smallest float32 subnormal is far below 2^-25. */
    EXPECT_H(dlk_f32_to_f16(bits_f32(0x00000001u)), 0x0000);
}
END_TEST

START_TEST(test_f64_to_f16_no_double_rounding)
{
    /* 1 + 2^-11 + 2^-40: above the halfway point, so 0x3C01. Rounded to
     * float32 first it would be exactly 1 + 2^-11, which ties to 0x3C00. */
    EXPECT_H(dlk_f64_to_f16(1.0 + 0.00048828125 + 9.094947017729282e-13), 0x3C01);
    EXPECT_H(dlk_f64_to_f16(0.1), 0x2E66);
    EXPECT_H(dlk_f64_to_f16(65504.0), 0x7BFF);
    EXPECT_H(dlk_f64_to_f16(65520.0), 0x7C00);
    EXPECT_H(dlk_f64_to_f16(-5.9604644775390625e-8), 0x8001);
    EXPECT_H(dlk_f64_to_f16(1e-300), 0x0000);
    EXPECT_H(dlk_f64_to_f16(1e300), 0x7C00);
    EXPECT_H(dlk_f64_to_f16(-INFINITY), 0xFC00);
    ck_assert((dlk_f64_to_f16(NAN) & 0x7FFF) > 0x7C00);
}
END_TEST

START_TEST(test_f16_to_f32)
{
    ck_assert(dlk_f16_to_f32(0x3C00) == 1.0f);
    ck_assert(dlk_f16_to_f32(0xC000) == -2.0f);
    ck_assert(dlk_f16_to_f32(0x7BFF) == 65504.0f);
    ck_assert(dlk_f16_to_f32(0x0400) == 6.103515625e-5f);          /* 2^-14 */
    ck_assert(dlk_f16_to_f32(0x0001) == 5.9604644775390625e-8f);   /* 2^-24 */
    ck_assert(dlk_f16_to_f32(0x03FF) == 1023 * 5.9604644775390625e-8f);
    ck_assert(dlk_f16_to_f32(0x2E66) == 0.0999755859375f);         /* (1 + 614/1024) / 16 */
    ck_assert(dlk_f16_to_f32(0x8000) == 0.0f && signbit(dlk_f16_to_f32(0x8000)));
    ck_assert(isinf(dlk_f16_to_f32(0x7C00)) && dlk_f16_to_f32(0x7C00) > 0);
    ck_assert(isinf(dlk_f16_to_f32(0xFC00)) && dlk_f16_to_f32(0xFC00) < 0);
    ck_assert(isnan(dlk_f16_to_f32(0x7E00)));
    ck_assert(isnan(dlk_f16_to_f32(0x7C01)));
}
END_TEST

START_TEST(test_round_trip_all)
{
    /* Every non-NaN float16 survives float32 and back bit for bit. */
    unsigned h;
    for (h = 0; h < 0x10000u; h++) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0)
            continue;
        EXPECT_H(dlk_f32_to_f16(dlk_f16_to_f32((uint16_t)h)), h);
        EXPECT_H(dlk_f64_to_f16((double)dlk_f16_to_f32((uint16_t)h)), h);
    }
}
END_TEST

START_TEST(test_cast_loops)
{
    const float f[4] = {1.0f, -2.5f, 0.1f, 70000.0f};
    const uint16_t want_h[4] = {0x3C00, 0xC100, 0x2E66, 0x7C00};   /* -2.5 = -1.25 * 2: 0xC000 | 256 */
    const uint16_t h[5] = {0x3C00, 0xC100, 0x0000, 0x8000, 0x4500}; /* 1, -2.5, 0, -0, 5 */
    const uint8_t b[2] = {0, 1};
    uint16_t y[5];
    int64_t i64[5];
    int8_t i8[5];
    uint8_t yb[5];
    double f64[5];
    int k;
    dlk_cast_f32_f16(f, y, 4);
    for (k = 0; k < 4; k++)
        EXPECT_H(y[k], want_h[k]);
    dlk_cast_f16_i64(h, i64, 5);    /* truncation toward zero: -2.5 -> -2 */
    ck_assert(i64[0] == 1 && i64[1] == -2 && i64[2] == 0 && i64[3] == 0 && i64[4] == 5);
    dlk_cast_f16_i8(h, i8, 5);
    ck_assert(i8[1] == -2 && i8[4] == 5);
    dlk_cast_f16_bool(h, yb, 5);    /* -0 is zero */
    ck_assert(yb[0] == 1 && yb[1] == 1 && yb[2] == 0 && yb[3] == 0 && yb[4] == 1);
    dlk_cast_f16_f64(h, f64, 5);
    ck_assert(f64[0] == 1.0 && f64[1] == -2.5 && f64[4] == 5.0);
    dlk_cast_bool_f16(b, y, 2);
    EXPECT_H(y[0], 0x0000);
    EXPECT_H(y[1], 0x3C00);
    i64[0] = 2049;                  /* 2048 + 1: halfway between 2048 and 2050 -> 2048 = 0x6800 */
    i64[1] = -65504;
    i64[2] = 100000;
    dlk_cast_i64_f16(i64, y, 3);
    EXPECT_H(y[0], 0x6800);
    EXPECT_H(y[1], 0xFBFF);
    EXPECT_H(y[2], 0x7C00);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels_half");
    TCase *tc = tcase_create("half");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, test_f32_to_f16_exact);
    tcase_add_test(tc, test_f32_to_f16_rounding);
    tcase_add_test(tc, test_f32_to_f16_special);
    tcase_add_test(tc, test_f64_to_f16_no_double_rounding);
    tcase_add_test(tc, test_f16_to_f32);
    tcase_add_test(tc, test_round_trip_all);
    tcase_add_test(tc, test_cast_loops);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
