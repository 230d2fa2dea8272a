/* Kernels of Pad, Gather, Cast and ConstantOfShape's fill, on hand-computed
 * cases (the arithmetic is in the comments). Header-only: needs no library. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cast.h"
#include "kernels/fill.h"
#include "kernels/gather.h"
#include "kernels/pad.h"

static void expect_f32(const float *got, const float *want, int n, const char *what)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s[%d]: got %g, expected %g", what, i, (double)got[i],
                      (double)want[i]);
}

static void expect_i64(const int64_t *got, const int64_t *want, int n, const char *what)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s[%d]: got %lld, expected %lld", what, i, (long long)got[i],
                      (long long)want[i]);
}

/* A float32 pad along one axis of n elements. */
static dlk_pad_params pad_1d(int64_t mode, int64_t n, int64_t begin, int64_t end)
{
    dlk_pad_params p;
    memset(&p, 0, sizeof p);
    p.rank = 1;
    p.elem_size = 4;
    p.mode = mode;
    p.in_dims[0] = n;
    p.out_dims[0] = n + begin + end;
    p.pads_begin[0] = begin;
    return p;
}

/* ----------------------------------------------------------------- Pad */

START_TEST(pad_constant_1d)
{
    /* [1,2,3], 1 before and 2 after with value 9 -> [9, 1,2,3, 9,9] */
    const float x[] = {1, 2, 3}, value = 9, want[] = {9, 1, 2, 3, 9, 9};
    dlk_pad_params p = pad_1d(DLK_PAD_CONSTANT, 3, 1, 2);
    float y[6];
    dlk_pad(&p, x, &value, y);
    expect_f32(y, want, 6, "constant 1-D");
}
END_TEST

START_TEST(pad_constant_default_zero_and_params_value)
{
    /* value NULL means zero: [1,2] by (1,1) -> [0,1,2,0]; an opset < 11 value
     * attribute of 1.5 travels in the params: -> [1.5,1,2,1.5] */
    const float x[] = {1, 2}, want0[] = {0, 1, 2, 0}, want15[] = {1.5f, 1, 2, 1.5f};
    dlk_pad_params p = pad_1d(DLK_PAD_CONSTANT, 2, 1, 1);
    float y[4];
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, want0, 4, "zero");
    p.value_from_params = 1;
    p.value_f32 = 1.5f;
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, want15, 4, "value_f32");
}
END_TEST

START_TEST(pad_reflect_1d)
{
    /* reflect mirrors without repeating the edge element:
     * [1,2,3,4], 2 before: index -1 -> 1 (2), -2 -> 2 (3) -> [3,2,1,2,3,4]
     * 2 after: index 4 -> 2 (3), 5 -> 1 (2)            -> [1,2,3,4,3,2] */
    const float x[] = {1, 2, 3, 4}, left[] = {3, 2, 1, 2, 3, 4}, right[] = {1, 2, 3, 4, 3, 2};
    dlk_pad_params p = pad_1d(DLK_PAD_REFLECT, 4, 2, 0);
    float y[6];
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, left, 6, "reflect left");
    p = pad_1d(DLK_PAD_REFLECT, 4, 0, 2);
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, right, 6, "reflect right");
}
END_TEST

START_TEST(pad_reflect_wider_than_input)
{
    /* [1,2,3] reflected 4 to the left, as numpy's repeated reflection:
     * index -1 -> 1 (2), -2 -> 2 (3), -3 -> 1 (2), -4 -> 0 (1) -> [1,2,3,2, 1,2,3] */
    const float x[] = {1, 2, 3}, want[] = {1, 2, 3, 2, 1, 2, 3};
    dlk_pad_params p = pad_1d(DLK_PAD_REFLECT, 3, 4, 0);
    float y[7];
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, want, 7, "reflect 4");
}
END_TEST

START_TEST(pad_edge_and_wrap_1d)
{
    /* edge repeats the border: [1,2,3] by (2,1) -> [1,1, 1,2,3, 3]
     * wrap continues periodically: index -2 -> 1 (2), -1 -> 2 (3), 3 -> 0 (1)
     *                                                -> [2,3, 1,2,3, 1] */
    const float x[] = {1, 2, 3}, edge[] = {1, 1, 1, 2, 3, 3}, wrap[] = {2, 3, 1, 2, 3, 1};
    dlk_pad_params p = pad_1d(DLK_PAD_EDGE, 3, 2, 1);
    float y[6];
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, edge, 6, "edge");
    p.mode = DLK_PAD_WRAP;
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, wrap, 6, "wrap");
}
END_TEST

static dlk_pad_params pad_2x3(int64_t mode)
{
    /* [[1,2,3],[4,5,6]] padded by one on every side -> 4x5 */
    dlk_pad_params p;
    memset(&p, 0, sizeof p);
    p.rank = 2;
    p.elem_size = 4;
    p.mode = mode;
    p.in_dims[0] = 2;
    p.in_dims[1] = 3;
    p.out_dims[0] = 4;
    p.out_dims[1] = 5;
    p.pads_begin[0] = 1;
    p.pads_begin[1] = 1;
    return p;
}

START_TEST(pad_2d_modes)
{
    const float x[] = {1, 2, 3, 4, 5, 6};
    /* constant 0: a frame of zeros around the input */
    const float constant[] = {0, 0, 0, 0, 0,
                              0, 1, 2, 3, 0,
                              0, 4, 5, 6, 0,
                              0, 0, 0, 0, 0};
    /* reflect: row -1 -> row 1, row 2 -> row 0; in each row col -1 -> col 1,
     * col 3 -> col 1: [4,5,6] -> [5,4,5,6,5], [1,2,3] -> [2,1,2,3,2] */
    const float reflect[] = {5, 4, 5, 6, 5,
                             2, 1, 2, 3, 2,
                             5, 4, 5, 6, 5,
                             2, 1, 2, 3, 2};
    /* edge: row -1 -> row 0, row 2 -> row 1; cols clamp likewise */
    const float edge[] = {1, 1, 2, 3, 3,
                          1, 1, 2, 3, 3,
                          4, 4, 5, 6, 6,
                          4, 4, 5, 6, 6};
    dlk_pad_params p = pad_2x3(DLK_PAD_CONSTANT);
    float y[20];
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, constant, 20, "constant 2-D");
    p = pad_2x3(DLK_PAD_REFLECT);
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, reflect, 20, "reflect 2-D");
    p = pad_2x3(DLK_PAD_EDGE);
    dlk_pad(&p, x, NULL, y);
    expect_f32(y, edge, 20, "edge 2-D");
}
END_TEST

START_TEST(pad_negative_crops)
{
    /* [1,2,3,4,5] with pads (-1,-2) -> [2,3]
     * [[1,2,3],[4,5,6]] with begins (0,-1), ends (-1,1): row 1 dropped,
     * column 0 dropped, one zero column added -> [[2,3,0]] */
    const float x1[] = {1, 2, 3, 4, 5}, want1[] = {2, 3};
    const float x2[] = {1, 2, 3, 4, 5, 6}, want2[] = {2, 3, 0};
    dlk_pad_params p = pad_1d(DLK_PAD_CONSTANT, 5, -1, -2);
    float y[3];
    dlk_pad(&p, x1, NULL, y);
    expect_f32(y, want1, 2, "crop 1-D");
    p = pad_2x3(DLK_PAD_CONSTANT);
    p.out_dims[0] = 1;
    p.out_dims[1] = 3;
    p.pads_begin[0] = 0;
    p.pads_begin[1] = -1;
    dlk_pad(&p, x2, NULL, y);
    expect_f32(y, want2, 3, "crop 2-D");
}
END_TEST

START_TEST(pad_int64_elements)
{
    /* 8-byte elements: [10,20,30] reflect (1,1) -> [20,10,20,30,20];
     * constant with value -7 -> [-7,10,20,30,-7] */
    const int64_t x[] = {10, 20, 30}, reflect[] = {20, 10, 20, 30, 20}, constant[] = {-7, 10, 20, 30, -7};
    const int64_t value = -7;
    dlk_pad_params p = pad_1d(DLK_PAD_REFLECT, 3, 1, 1);
    int64_t y[5];
    p.elem_size = 8;
    dlk_pad(&p, x, NULL, y);
    expect_i64(y, reflect, 5, "int64 reflect");
    p.mode = DLK_PAD_CONSTANT;
    dlk_pad(&p, x, &value, y);
    expect_i64(y, constant, 5, "int64 constant");
}
END_TEST

/* -------------------------------------------------------------- Gather */

START_TEST(gather_axis0)
{
    /* data [[1,2],[3,4],[5,6]], axis 0, indices [[0,1],[1,2]]
     *   -> shape 2x2x2 [[[1,2],[3,4]],[[3,4],[5,6]]] (the ONNX Gather example)
     * indices [-1,0]: -1 is row 2 -> [[5,6],[1,2]] */
    const float data[] = {1, 2, 3, 4, 5, 6};
    const int64_t idx[] = {0, 1, 1, 2}, neg[] = {-1, 0};
    const float want[] = {1, 2, 3, 4, 3, 4, 5, 6}, want_neg[] = {5, 6, 1, 2};
    dlk_gather_params p = {1, 3, 2 * 4, 4};
    float y[8];
    dlk_gather_i64(&p, data, idx, y);
    expect_f32(y, want, 8, "axis 0");
    p.n_indices = 2;
    dlk_gather_i64(&p, data, neg, y);
    expect_f32(y, want_neg, 4, "axis 0, negative");
}
END_TEST

START_TEST(gather_axis1)
{
    /* data 3x3, axis 1, indices [[0,2]] -> shape 3x1x2: columns 0 and 2 of each row;
     * int32 indices [-1] -> column 2 of each row */
    const float data[] = {1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f};
    const int64_t idx[] = {0, 2};
    const int32_t neg[] = {-1};
    const float want[] = {1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f}, want_neg[] = {1.9f, 3.9f, 5.9f};
    dlk_gather_params p = {3, 3, 4, 2};
    float y[6];
    dlk_gather_i64(&p, data, idx, y);
    expect_f32(y, want, 6, "axis 1");
    p.n_indices = 1;
    dlk_gather_i32(&p, data, neg, y);
    expect_f32(y, want_neg, 3, "axis 1, int32 negative");
}
END_TEST

START_TEST(gather_int64_data_and_out_of_range)
{
    /* int64 data [10,20,30,40], int32 indices [3,-4] -> [40,10];
     * index 4 is out of range: the kernel writes zero instead of reading past the end */
    const int64_t data[] = {10, 20, 30, 40}, want[] = {40, 10, 0};
    const int32_t idx[] = {3, -4, 4};
    dlk_gather_params p = {1, 4, 8, 3};
    int64_t y[3] = {-1, -1, -1};
    dlk_gather_i32(&p, data, idx, y);
    expect_i64(y, want, 3, "int64 data");
}
END_TEST

/* ---------------------------------------------------------------- Cast */

START_TEST(cast_float_to_int_truncates)
{
    /* toward zero: -1.7 -> -1, 1.7 -> 1, -0.5 -> 0, 2.0 -> 2 */
    const float x[] = {-1.7f, 1.7f, -0.5f, 2.0f};
    const int64_t want[] = {-1, 1, 0, 2};
    int64_t y64[4];
    int32_t y32[4];
    int i;
    dlk_cast_f32_i64(x, y64, 4);
    expect_i64(y64, want, 4, "f32 -> i64");
    dlk_cast_f32_i32(x, y32, 4);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(y32[i], want[i]);
}
END_TEST

START_TEST(cast_bool)
{
    /* -> bool is x != 0: [0, -0, 0.5, -3] -> [0,0,1,1]; bool -> float is 0/1;
     * int64 [0, -5, 1<<40] -> [0,1,1] (1<<40 must not truncate to 0) */
    const float x[] = {0.0f, -0.0f, 0.5f, -3.0f};
    const uint8_t b[] = {0, 1, 1};
    const int64_t xi[] = {0, -5, (int64_t)1 << 40};
    const float want_f[] = {0, 1, 1};
    uint8_t y[4];
    float f[3];
    dlk_cast_f32_bool(x, y, 4);
    ck_assert(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 1);
    dlk_cast_bool_f32(b, f, 3);
    expect_f32(f, want_f, 3, "bool -> f32");
    dlk_cast_i64_bool(xi, y, 3);
    ck_assert(y[0] == 0 && y[1] == 1 && y[2] == 1);
}
END_TEST

START_TEST(cast_integer_widths)
{
    /* i64 -> i32 keeps the low 32 bits: 2^32 + 1 -> 1, -1 -> -1
     * i64 -> f32 rounds to nearest even: 2^24 + 1 = 16777217 -> 16777216
     * i8 -> u8: -1 -> 255; u8 -> i8: 200 -> 200 - 256 = -56
     * f32 -> u8 goes through int32: 255.9 -> 255, -1.0 -> -1 -> 255
     * f32 -> i8: 200.0 -> 200 -> -56 */
    const int64_t big[] = {((int64_t)1 << 32) + 1, -1, 16777217};
    const int8_t s8[] = {-1};
    const uint8_t u8[] = {200};
    const float f[] = {255.9f, -1.0f, 200.0f};
    int32_t y32[2];
    float yf[1];
    uint8_t yu[2];
    int8_t ys[1];
    dlk_cast_i64_i32(big, y32, 2);
    ck_assert_int_eq(y32[0], 1);
    ck_assert_int_eq(y32[1], -1);
    dlk_cast_i64_f32(big + 2, yf, 1);
    ck_assert(yf[0] == 16777216.0f);
    dlk_cast_i8_u8(s8, yu, 1);
    ck_assert_int_eq(yu[0], 255);
    dlk_cast_u8_i8(u8, ys, 1);
    ck_assert_int_eq(ys[0], -56);
    dlk_cast_f32_u8(f, yu, 2);
    ck_assert_int_eq(yu[0], 255);
    ck_assert_int_eq(yu[1], 255);
    dlk_cast_f32_i8(f + 2, ys, 1);
    ck_assert_int_eq(ys[0], -56);
}
END_TEST

START_TEST(cast_floats_and_copy)
{
    /* f64 -> f32 rounds: 0.1 -> 0.1f; i32 -> f64 is exact: -123456789 */
    const double d[] = {0.1};
    const int32_t i[] = {-123456789};
    const float src[] = {1, 2, 3};
    float yf[3];
    double yd[1];
    dlk_cast_f64_f32(d, yf, 1);
    ck_assert(yf[0] == 0.1f);
    dlk_cast_i32_f64(i, yd, 1);
    ck_assert(yd[0] == -123456789.0);
    dlk_cast_copy(src, yf, sizeof src);
    expect_f32(yf, src, 3, "copy");
}
END_TEST

START_TEST(cast_every_pair_keeps_0_and_1)
{
    /* 0 and 1 are exact in every type, and 1 != 0 is 1 for bool: each of the
     * 42 kernels must map [0, 1] to [0, 1]. */
#define PAIR(s, st, d, dt)                                                                              \
    {                                                                                                  \
        const st x[2] = {0, 1};                                                                        \
        dt y[2] = {7, 7};                                                                              \
        dlk_cast_##s##_##d(x, y, 2);                                                                   \
        ck_assert_msg(y[0] == 0 && y[1] == 1, "dlk_cast_" #s "_" #d ": got [%g, %g]", (double)y[0],   \
                      (double)y[1]);                                                                   \
    }
    PAIR(f32, float, f64, double) PAIR(f32, float, i64, int64_t) PAIR(f32, float, i32, int32_t)
    PAIR(f32, float, i8, int8_t) PAIR(f32, float, u8, uint8_t) PAIR(f32, float, bool, uint8_t)
    PAIR(f64, double, f32, float) PAIR(f64, double, i64, int64_t) PAIR(f64, double, i32, int32_t)
    PAIR(f64, double, i8, int8_t) PAIR(f64, double, u8, uint8_t) PAIR(f64, double, bool, uint8_t)
    PAIR(i64, int64_t, f32, float) PAIR(i64, int64_t, f64, double) PAIR(i64, int64_t, i32, int32_t)
    PAIR(i64, int64_t, i8, int8_t) PAIR(i64, int64_t, u8, uint8_t) PAIR(i64, int64_t, bool, uint8_t)
    PAIR(i32, int32_t, f32, float) PAIR(i32, int32_t, f64, double) PAIR(i32, int32_t, i64, int64_t)
    PAIR(i32, int32_t, i8, int8_t) PAIR(i32, int32_t, u8, uint8_t) PAIR(i32, int32_t, bool, uint8_t)
    PAIR(i8, int8_t, f32, float) PAIR(i8, int8_t, f64, double) PAIR(i8, int8_t, i64, int64_t)
    PAIR(i8, int8_t, i32, int32_t) PAIR(i8, int8_t, u8, uint8_t) PAIR(i8, int8_t, bool, uint8_t)
    PAIR(u8, uint8_t, f32, float) PAIR(u8, uint8_t, f64, double) PAIR(u8, uint8_t, i64, int64_t)
    PAIR(u8, uint8_t, i32, int32_t) PAIR(u8, uint8_t, i8, int8_t) PAIR(u8, uint8_t, bool, uint8_t)
    PAIR(bool, uint8_t, f32, float) PAIR(bool, uint8_t, f64, double) PAIR(bool, uint8_t, i64, int64_t)
    PAIR(bool, uint8_t, i32, int32_t) PAIR(bool, uint8_t, i8, int8_t) PAIR(bool, uint8_t, u8, uint8_t)
#undef PAIR
}
END_TEST

/* ---------------------------------------------------------------- fill */

START_TEST(fill_values)
{
    /* ConstantOfShape: zero through memset, one-byte types through their byte
     * (int8 -1 is 0xff), the rest element by element */
    float f[3] = {1, 1, 1};
    const float zeros[] = {0, 0, 0}, halves[] = {2.5f, 2.5f, 2.5f};
    int8_t s8[4];
    double d[2];
    int32_t i32[2];
    int64_t i64[2];
    const int64_t want64[] = {50000000000LL, 50000000000LL};
    int i;
    dlk_fill_zero(f, sizeof f);
    expect_f32(f, zeros, 3, "zero");
    dlk_fill_f32(f, 3, 2.5f);
    expect_f32(f, halves, 3, "f32");
    dlk_fill_bytes(s8, 4, -1);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(s8[i], -1);
    dlk_fill_f64(d, 2, -0.25);
    ck_assert(d[0] == -0.25 && d[1] == -0.25);
    dlk_fill_i32(i32, 2, -7);
    ck_assert(i32[0] == -7 && i32[1] == -7);
    dlk_fill_i64(i64, 2, 50000000000LL);
    expect_i64(i64, want64, 2, "i64");
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels_pad_gather_cast");
    TCase *pad = tcase_create("pad"), *gather = tcase_create("gather");
    TCase *cast = tcase_create("cast"), *fill = tcase_create("fill");
    tcase_add_test(pad, pad_constant_1d);
    tcase_add_test(pad, pad_constant_default_zero_and_params_value);
    tcase_add_test(pad, pad_reflect_1d);
    tcase_add_test(pad, pad_reflect_wider_than_input);
    tcase_add_test(pad, pad_edge_and_wrap_1d);
    tcase_add_test(pad, pad_2d_modes);
    tcase_add_test(pad, pad_negative_crops);
    tcase_add_test(pad, pad_int64_elements);
    tcase_add_test(gather, gather_axis0);
    tcase_add_test(gather, gather_axis1);
    tcase_add_test(gather, gather_int64_data_and_out_of_range);
    tcase_add_test(cast, cast_float_to_int_truncates);
    tcase_add_test(cast, cast_bool);
    tcase_add_test(cast, cast_integer_widths);
    tcase_add_test(cast, cast_floats_and_copy);
    tcase_add_test(cast, cast_every_pair_keeps_0_and_1);
    tcase_add_test(fill, fill_values);
    suite_add_tcase(s, pad);
    suite_add_tcase(s, gather);
    suite_add_tcase(s, cast);
    suite_add_tcase(s, fill);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(kernels_suite());
    int failed;
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
