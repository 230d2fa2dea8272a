/* Resize/Upsample kernels. Expected values are computed by hand in the
 * comments, or (cubic, tf_crop_and_resize) taken from the examples of the
 * ONNX Resize operator documentation, an independent reference. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/resize.h"

static void expect_f32(const float *got, const float *want, int n, float tol, const char *what)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - want[i]) <= tol, "%s[%d]: got %.7g, expected %.7g", what, i,
                      (double)got[i], (double)want[i]);
}

/* Params for float32 data with the given dims and scales (roi 0..1). */
static dlk_resize_params params(int rank, const int64_t *in, const int64_t *out, const float *scales,
                                int64_t mode, int64_t coord_mode)
{
    dlk_resize_params p;
    int i;
    memset(&p, 0, sizeof p);
    p.rank = rank;
    p.elem_size = 4;
    p.mode = mode;
    p.coord_mode = coord_mode;
    p.nearest_mode = DLK_RESIZE_ROUND_PREFER_FLOOR;
    p.cubic_a = -0.75f;
    for (i = 0; i < rank; i++) {
        p.in_dims[i] = in[i];
        p.out_dims[i] = out[i];
        p.scales[i] = scales[i];
        p.roi[rank + i] = 1.0f;
    }
    return p;
}

/* The 1x1x2x2 image [[1,2],[3,4]] resized by 2 in H and W. */
static const float img2[] = {1, 2, 3, 4};
static const int64_t in_1122[] = {1, 1, 2, 2}, out_1144[] = {1, 1, 4, 4};
static const float scales_1122[] = {1, 1, 2, 2};

/* The 1x1x4x4 image 1..16. */
static const float img4[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const int64_t in_1144[] = {1, 1, 4, 4};

/* ------------------------------------------------------------- nearest */

START_TEST(nearest_x2_half_pixel)
{
    /* half_pixel: x_orig = (x + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25;
     * round_prefer_floor -> 0, 0, 1, 1: every pixel repeated twice each way */
    const float want[] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    dlk_resize_params p = params(4, in_1122, out_1144, scales_1122, DLK_RESIZE_NEAREST, DLK_RESIZE_HALF_PIXEL);
    float y[16];
    dlk_resize_nearest(&p, img2, y);
    expect_f32(y, want, 16, 0, "nearest x2");
}
END_TEST

START_TEST(upsample_nearest_2x3)
{
    /* Upsample (asymmetric, truncation): scales [1,1,2,3]; rows y/2 -> 0,0,1,1,
     * columns x/3 -> 0,0,0,1,1,1 */
    const int64_t out[] = {1, 1, 4, 6};
    const float scales[] = {1, 1, 2, 3};
    const float want[] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    dlk_resize_params p = params(4, in_1122, out, scales, DLK_RESIZE_NEAREST, DLK_RESIZE_ASYMMETRIC);
    float y[24];
    p.nearest_mode = DLK_RESIZE_SIMPLE;
    dlk_resize_nearest(&p, img2, y);
    expect_f32(y, want, 24, 0, "upsample 2x3");
}
END_TEST

START_TEST(nearest_modes)
{
    /* [10,20] to 4 elements, asymmetric: x_orig = x/2 = 0, 0.5, 1, 1.5
     *   round_prefer_floor: 0, 0 (half goes down), 1, 1     -> [10,10,20,20]
     *   round_prefer_ceil:  0, 1, 1, 2 clamped to 1         -> [10,20,20,20]
     *   floor: 0,0,1,1; ceil: 0,1,1,2 -> 1                  */
    const int64_t in[] = {2}, out[] = {4};
    const float scales[] = {2}, x[] = {10, 20};
    const float down[] = {10, 10, 20, 20}, up[] = {10, 20, 20, 20};
    dlk_resize_params p = params(1, in, out, scales, DLK_RESIZE_NEAREST, DLK_RESIZE_ASYMMETRIC);
    float y[4];
    dlk_resize_nearest(&p, x, y);
    expect_f32(y, down, 4, 0, "round_prefer_floor");
    p.nearest_mode = DLK_RESIZE_ROUND_PREFER_CEIL;
    dlk_resize_nearest(&p, x, y);
    expect_f32(y, up, 4, 0, "round_prefer_ceil");
    p.nearest_mode = DLK_RESIZE_FLOOR;
    dlk_resize_nearest(&p, x, y);
    expect_f32(y, down, 4, 0, "floor");
    p.nearest_mode = DLK_RESIZE_CEIL;
    dlk_resize_nearest(&p, x, y);
    expect_f32(y, up, 4, 0, "ceil");
}
END_TEST

START_TEST(nearest_downsample)
{
    /* Resize-10 (asymmetric, "simple"): [1,2,3,4] by 0.6 -> floor(2.4) = 2 outputs;
     * x_orig = 0, 1/0.6 = 1.667; downsampling takes the ceiling -> 0, 2 -> [1,3]
     * Resize-11 default (half_pixel, round_prefer_floor) on [[1,2,3,4],[5,6,7,8]]
     * by 0.6 -> 1x2: y_orig = 0.5/0.6 - 0.5 = 0.333 -> row 0;
     * x_orig = 0.333 -> 0 and 1.5/0.6 - 0.5 = 2.0 -> 2 -> [1,3] */
    const int64_t in1[] = {4}, out1[] = {2}, in2[] = {2, 4}, out2[] = {1, 2};
    const float s1[] = {0.6f}, s2[] = {0.6f, 0.6f}, want[] = {1, 3};
    dlk_resize_params p = params(1, in1, out1, s1, DLK_RESIZE_NEAREST, DLK_RESIZE_ASYMMETRIC);
    float y[2];
    p.nearest_mode = DLK_RESIZE_SIMPLE;
    dlk_resize_nearest(&p, img4, y);
    expect_f32(y, want, 2, 0, "simple downsample");
    p = params(2, in2, out2, s2, DLK_RESIZE_NEAREST, DLK_RESIZE_HALF_PIXEL);
    dlk_resize_nearest(&p, img4, y);
    expect_f32(y, want, 2, 0, "half_pixel downsample");
}
END_TEST

START_TEST(nearest_other_element_sizes)
{
    /* The nearest kernel copies bytes: int64 [5,-6] and uint8 [7,250] doubled
     * (asymmetric floor: x/2 = 0, 0.5, 1, 1.5 -> 0,0,1,1) */
    const int64_t in[] = {2}, out[] = {4}, x64[] = {5, -6};
    const uint8_t x8[] = {7, 250};
    const float scales[] = {2};
    int64_t y64[4];
    uint8_t y8[4];
    dlk_resize_params p = params(1, in, out, scales, DLK_RESIZE_NEAREST, DLK_RESIZE_ASYMMETRIC);
    p.nearest_mode = DLK_RESIZE_FLOOR;
    p.elem_size = 8;
    dlk_resize_nearest(&p, x64, y64);
    ck_assert(y64[0] == 5 && y64[1] == 5 && y64[2] == -6 && y64[3] == -6);
    p.elem_size = 1;
    dlk_resize_nearest(&p, x8, y8);
    ck_assert(y8[0] == 7 && y8[1] == 7 && y8[2] == 250 && y8[3] == 250);
}
END_TEST

/* -------------------------------------------------------------- linear */

START_TEST(bilinear_half_pixel)
{
    /* x_orig = (x + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0,1]:
     * 0, 0.25, 0.75, 1. Row [1,2] -> 1, 1.25, 1.75, 2; row [3,4] -> 3, 3.25, 3.75, 4.
     * Rows blend with the same weights 0, 0.25, 0.75, 1 of the second row:
     * row 1 = 0.75*[1,1.25,1.75,2] + 0.25*[3,3.25,3.75,4] = [1.5,1.75,2.25,2.5] */
    const float want[] = {1.0f, 1.25f, 1.75f, 2.0f,
                          1.5f, 1.75f, 2.25f, 2.5f,
                          2.5f, 2.75f, 3.25f, 3.5f,
                          3.0f, 3.25f, 3.75f, 4.0f};
    dlk_resize_params p = params(4, in_1122, out_1144, scales_1122, DLK_RESIZE_LINEAR, DLK_RESIZE_HALF_PIXEL);
    float y[16];
    dlk_resize_f32(&p, img2, y);
    expect_f32(y, want, 16, 1e-6f, "bilinear half_pixel");
}
END_TEST

START_TEST(bilinear_align_corners)
{
    /* x_orig = x * (2-1)/(4-1) = 0, 1/3, 2/3, 1. Row [1,2] -> 1, 4/3, 5/3, 2;
     * each row adds 2 * y/3 (the step between image rows is 2):
     * row 1 = [1,4/3,5/3,2] + 2/3 = [5/3, 2, 7/3, 8/3] */
    const float t = 1.0f / 3.0f;
    const float want[] = {1, 1 + t, 1 + 2 * t, 2,
                          1 + 2 * t, 2, 2 + t, 2 + 2 * t,
                          2 + t, 2 + 2 * t, 3, 3 + t,
                          3, 3 + t, 3 + 2 * t, 4};
    dlk_resize_params p = params(4, in_1122, out_1144, scales_1122, DLK_RESIZE_LINEAR, DLK_RESIZE_ALIGN_CORNERS);
    float y[16];
    dlk_resize_f32(&p, img2, y);
    expect_f32(y, want, 16, 1e-6f, "bilinear align_corners");
}
END_TEST

START_TEST(bilinear_asymmetric)
{
    /* Upsample linear: x_orig = x/2 = 0, 0.5, 1, 1.5 -> clamped 1.
     * Row [1,2] -> 1, 1.5, 2, 2; row [3,4] -> 3, 3.5, 4, 4; rows weigh 0, 0.5, 1, 1 */
    const float want[] = {1, 1.5f, 2, 2,
                          2, 2.5f, 3, 3,
                          3, 3.5f, 4, 4,
                          3, 3.5f, 4, 4};
    dlk_resize_params p = params(4, in_1122, out_1144, scales_1122, DLK_RESIZE_LINEAR, DLK_RESIZE_ASYMMETRIC);
    float y[16];
    dlk_resize_f32(&p, img2, y);
    expect_f32(y, want, 16, 1e-6f, "bilinear asymmetric");
}
END_TEST

START_TEST(linear_downsample_and_pytorch_half_pixel)
{
    /* [[1,2,3,4],[5,6,7,8]] by 0.6 (half_pixel) -> 1x2:
     * y_orig = 0.5/0.6 - 0.5 = 1/3; x_orig = 1/3 and 1.5/0.6 - 0.5 = 2.
     * (1/3, 1/3): 1 + 1/3 + 4/3 = 8/3; (1/3, 2): 3 + 4/3 = 13/3.
     * pytorch_half_pixel, 4x4 -> 3x1 (scales 0.75, 0.25): the width of 1 maps to
     * x_orig = 0; y_orig = (y + 0.5)/0.75 - 0.5 = 1/6, 1.5, 17/6 on column [1,5,9,13]:
     * 1 + 4/6 = 5/3, 5 + 2 = 7, 9 + 4*5/6 = 37/3 */
    const int64_t in1[] = {2, 4}, out1[] = {1, 2}, out2[] = {1, 1, 3, 1};
    const float s1[] = {0.6f, 0.6f}, s2[] = {1, 1, 0.75f, 0.25f};
    const float want1[] = {8.0f / 3, 13.0f / 3}, want2[] = {5.0f / 3, 7, 37.0f / 3};
    dlk_resize_params p = params(2, in1, out1, s1, DLK_RESIZE_LINEAR, DLK_RESIZE_HALF_PIXEL);
    float y[3];
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, want1, 2, 1e-5f, "linear downsample");
    p = params(4, in_1144, out2, s2, DLK_RESIZE_LINEAR, DLK_RESIZE_PYTORCH_HALF_PIXEL);
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, want2, 3, 1e-5f, "pytorch_half_pixel");
}
END_TEST

START_TEST(linear_outer_axis_only)
{
    /* Only the row axis scales (x2, asymmetric): y/2 = 0, 0.5, 1, 1.5 -> clamped 1:
     * rows [1,2], [2,3], [3,4], [3,4] */
    const int64_t in[] = {2, 2}, out[] = {4, 2};
    const float scales[] = {2, 1}, want[] = {1, 2, 2, 3, 3, 4, 3, 4};
    dlk_resize_params p = params(2, in, out, scales, DLK_RESIZE_LINEAR, DLK_RESIZE_ASYMMETRIC);
    float y[8];
    dlk_resize_f32(&p, img2, y);
    expect_f32(y, want, 8, 1e-6f, "rows only");
}
END_TEST

START_TEST(trilinear_reproduces_linear_function)
{
    /* Data f(z,y,x) = 4z + 2y + x on 2x2x2, align_corners to 4x4x4: every
     * coordinate maps to c/3, and linear interpolation reproduces a linear
     * function exactly, so y = (4z + 2y + x)/3. */
    const int64_t in[] = {2, 2, 2}, out[] = {4, 4, 4};
    const float scales[] = {2, 2, 2}, x[] = {0, 1, 2, 3, 4, 5, 6, 7};
    float y[64], want[64];
    int i;
    dlk_resize_params p = params(3, in, out, scales, DLK_RESIZE_LINEAR, DLK_RESIZE_ALIGN_CORNERS);
    for (i = 0; i < 64; i++)
        want[i] = (float)(4 * (i / 16) + 2 * (i / 4 % 4) + i % 4) / 3.0f;
    dlk_resize_f32(&p, x, y);
    expect_f32(y, want, 64, 1e-5f, "trilinear");
}
END_TEST

START_TEST(tf_crop_and_resize)
{
    /* ONNX example resize_tf_crop_and_resize: roi H 0.4..0.6, W 0.6..0.8 of the
     * 4x4 image, sizes 3x3. By hand for output (0,0): y_orig = 0.4*3 = 1.2,
     * x_orig = 0.6*3 = 1.8; rows 1 and 2 at x 1.8 give 6.8 and 10.8; 6.8 + 0.2*4 = 7.6.
     * With extrapolation_value 10 and roi H 0.4..1.2, W 0.6..1.7, coordinates past
     * 3 (y 3.6; x 3.45, 5.1) give 10. */
    const int64_t out[] = {1, 1, 3, 3};
    const float scales[] = {1, 1, 0.75f, 0.75f};
    const float roi1[] = {0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f}, roi2[] = {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f};
    const float want1[] = {7.6000004f, 7.9f, 8.2f, 8.8f, 9.1f, 9.400001f, 10.0f, 10.3f, 10.6f};
    const float want2[] = {7.6000004f, 10, 10, 12.400001f, 10, 10, 10, 10, 10};
    dlk_resize_params p = params(4, in_1144, out, scales, DLK_RESIZE_LINEAR, DLK_RESIZE_TF_CROP_AND_RESIZE);
    float y[9];
    p.extrapolate = 1;
    memcpy(p.roi, roi1, sizeof roi1);
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, want1, 9, 1e-5f, "tf_crop_and_resize");
    memcpy(p.roi, roi2, sizeof roi2);
    p.extrapolation_value = 10;
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, want2, 9, 1e-5f, "extrapolation");
}
END_TEST

START_TEST(wide_rows_cross_tiles)
{
    /* Rows of 150 outputs span three 64-column tiles. Data f(r, i) = 100r + i on
     * 2x50, width x3, asymmetric: x_orig = x/3.
     *   linear (clamped to 49): y = 100r + min(x/3, 49)
     *   nearest floor:          y = 100r + floor(x/3) */
    const int64_t in[] = {2, 50}, out[] = {2, 150};
    const float scales[] = {1, 3};
    float x[100], y[300], lin[300], near[300];
    int r, i;
    dlk_resize_params p = params(2, in, out, scales, DLK_RESIZE_LINEAR, DLK_RESIZE_ASYMMETRIC);
    for (i = 0; i < 100; i++)
        x[i] = (float)(100 * (i / 50) + i % 50);
    for (r = 0; r < 2; r++)
        for (i = 0; i < 150; i++) {
            lin[150 * r + i] = 100.0f * r + (i / 3.0f < 49 ? i / 3.0f : 49);
            near[150 * r + i] = (float)(100 * r + i / 3);
        }
    dlk_resize_f32(&p, x, y);
    expect_f32(y, lin, 300, 1e-4f, "wide linear");
    p.mode = DLK_RESIZE_NEAREST;
    p.nearest_mode = DLK_RESIZE_FLOOR;
    dlk_resize_nearest(&p, x, y);
    expect_f32(y, near, 300, 0, "wide nearest");
}
END_TEST

/* --------------------------------------------------------------- cubic */

START_TEST(cubic_asymmetric)
{
    /* 4x4 x2, asymmetric, a = -0.75. By hand for output (0,1): x_orig = 0.5,
     * taps at -1 (clamped to 0), 0, 1, 2 with weights
     *   c0 = ((a*1.5 - 5a)*1.5 + 8a)*1.5 - 4a = -0.09375, c1 = ((a+2)*0.5 - (a+3))*0.25 + 1
     *   = 0.59375, c2 = c1, c3 = c0:  -0.09375*1 + 0.59375*(1 + 2) - 0.09375*3 = 1.40625.
     * The rest of rows 0 and 1 from the ONNX example resize_upsample_scales_cubic_asymmetric. */
    const int64_t out[] = {1, 1, 8, 8};
    const float want[] = {1, 1.40625f, 2, 2.5f, 3, 3.59375f, 4, 4.09375f,
                          2.625f, 3.03125f, 3.625f, 4.125f, 4.625f, 5.21875f, 5.625f, 5.71875f};
    dlk_resize_params p = params(4, in_1144, out, scales_1122, DLK_RESIZE_CUBIC, DLK_RESIZE_ASYMMETRIC);
    float y[64];
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, want, 16, 1e-5f, "cubic asymmetric");
}
END_TEST

START_TEST(cubic_half_pixel_and_exclude_outside)
{
    /* ONNX examples resize_upsample_scales_cubic (a = -0.75) and
     * resize_upsample_scales_cubic_A_n0p5_exclude_outside: rows 0 and 7. */
    const int64_t out[] = {1, 1, 8, 8};
    const float want[] = {0.47265625f, 0.76953125f, 1.24609375f, 1.875f, 2.28125f, 2.91015625f, 3.38671875f,
                          3.68359375f};
    const float want_last[] = {13.31640625f, 13.61328125f, 14.08984375f, 14.71875f, 15.125f, 15.75390625f,
                               16.23046875f, 16.52734375f};
    const float excl[] = {0.55882353f, 0.81494204f, 1.35698249f, 1.89705882f, 2.39705882f, 2.93713516f,
                          3.47917561f, 3.73529412f};
    const float excl_last[] = {13.26470588f, 13.52082439f, 14.06286484f, 14.60294118f, 15.10294118f,
                               15.64301751f, 16.18505796f, 16.44117647f};
    dlk_resize_params p = params(4, in_1144, out, scales_1122, DLK_RESIZE_CUBIC, DLK_RESIZE_HALF_PIXEL);
    float y[64];
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, want, 8, 1e-5f, "cubic row 0");
    expect_f32(y + 56, want_last, 8, 1e-5f, "cubic row 7");
    p.cubic_a = -0.5f;
    p.exclude_outside = 1;
    dlk_resize_f32(&p, img4, y);
    expect_f32(y, excl, 8, 1e-5f, "exclude_outside row 0");
    expect_f32(y + 56, excl_last, 8, 1e-5f, "exclude_outside row 7");
}
END_TEST

static Suite *resize_suite(void)
{
    Suite *s = suite_create("kernels_resize");
    TCase *nearest = tcase_create("nearest"), *linear = tcase_create("linear"), *cubic = tcase_create("cubic");
    tcase_add_test(nearest, nearest_x2_half_pixel);
    tcase_add_test(nearest, upsample_nearest_2x3);
    tcase_add_test(nearest, nearest_modes);
    tcase_add_test(nearest, nearest_downsample);
    tcase_add_test(nearest, nearest_other_element_sizes);
    tcase_add_test(linear, bilinear_half_pixel);
    tcase_add_test(linear, bilinear_align_corners);
    tcase_add_test(linear, bilinear_asymmetric);
    tcase_add_test(linear, linear_downsample_and_pytorch_half_pixel);
    tcase_add_test(linear, linear_outer_axis_only);
    tcase_add_test(linear, trilinear_reproduces_linear_function);
    tcase_add_test(linear, tf_crop_and_resize);
    tcase_add_test(linear, wide_rows_cross_tiles);
    tcase_add_test(cubic, cubic_asymmetric);
    tcase_add_test(cubic, cubic_half_pixel_and_exclude_outside);
    suite_add_tcase(s, nearest);
    suite_add_tcase(s, linear);
    suite_add_tcase(s, cubic);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(resize_suite());
    int failed;
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
