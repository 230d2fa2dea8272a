/* Image-geometry kernels: GridSample, AffineGrid, RoiAlign, MaxRoiPool,
 * CenterCropPad, Col2Im, DeformConv, MaxUnpool and antialiased Resize.
 * Every expected value is computed by hand in the comments. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/image.h"
#include "kernels/resize.h"
#include "kernels/roi.h"
#include "kernels/sample.h"

static void expect_f32(const float *got, const float *want, int n, float tol, const char *what)
{
    int i;
    for (i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - want[i]) <= tol, "%s[%d]: got %.7g, expected %.7g", what, i,
                      (double)got[i], (double)want[i]);
}

/* X 1x1x2x2 = [[1, 2], [3, 4]], sampled at `points` grid points. */
static void grid_sample(int64_t mode, int64_t padding, int64_t align, const float *grid, int points, float *y)
{
    static const float x[4] = {1, 2, 3, 4};
    dlk_grid_sample_params p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c = 1;
    p.r = 2;
    p.in_dims[0] = p.in_dims[1] = 2;
    p.out_dims[0] = 1;
    p.out_dims[1] = points;
    p.mode = mode;
    p.padding = padding;
    p.align_corners = align;
    dlk_grid_sample_f32(&p, x, grid, y);
}

START_TEST(grid_sample_linear_align_corners)
{
    /* align_corners: pixel = (g + 1) / 2 * (len - 1). (0, 0) -> (0.5, 0.5),
     * the mean 2.5; (-1, -1) -> corner 1; (1, -1) -> x 1, y 0 -> 2. */
    const float grid[6] = {0, 0, -1, -1, 1, -1}, want[3] = {2.5f, 1, 2};
    float y[3];
    grid_sample(DLK_GS_LINEAR, DLK_GS_ZEROS, 1, grid, 3, y);
    expect_f32(y, want, 3, 1e-6f, "y");
}
END_TEST

START_TEST(grid_sample_nearest_zeros)
{
    /* Not aligned: pixel = ((g + 1) * len - 1) / 2. (-1, -1) -> (-0.5,
     * -0.5), rint to even -> (0, 0) -> 1. (1.5, 0) -> x 2 (outside: 0),
     * y 0.5 -> 0: reads 0. */
    const float grid[4] = {-1, -1, 1.5f, 0}, want[2] = {1, 0};
    float y[2];
    grid_sample(DLK_GS_NEAREST, DLK_GS_ZEROS, 0, grid, 2, y);
    expect_f32(y, want, 2, 0, "y");
}
END_TEST

START_TEST(grid_sample_border_and_reflection)
{
    /* Border, aligned: (2, 2) -> (1.5, 1.5) clamped to (1, 1) -> 4.
     * Reflection, not aligned: x for g = 1.5 is 2, mirrored at 1.5 to 1;
     * y for g = -1 is -0.5: taps -1 (mirrored to 0) and 0, weights 0.5
     * each: both read row 0, column 1 -> 2. */
    const float g1[2] = {2, 2}, g2[2] = {1.5f, -1}, w1 = 4, w2 = 2;
    float y;
    grid_sample(DLK_GS_LINEAR, DLK_GS_BORDER, 1, g1, 1, &y);
    expect_f32(&y, &w1, 1, 1e-6f, "border");
    grid_sample(DLK_GS_LINEAR, DLK_GS_REFLECTION, 0, g2, 1, &y);
    expect_f32(&y, &w2, 1, 1e-6f, "reflection");
}
END_TEST

START_TEST(grid_sample_cubic_at_pixel)
{
    /* Aligned, g = (-1, -1) is pixel (0, 0) exactly: Keys weights at s = 0
     * are (0, 1, 0, 0), so the value is X[0][0] = 1 (zeros around). */
    const float grid[2] = {-1, -1}, want = 1;
    float y;
    grid_sample(DLK_GS_CUBIC, DLK_GS_ZEROS, 1, grid, 1, &y);
    expect_f32(&y, &want, 1, 1e-6f, "y");
}
END_TEST

START_TEST(affine_grid_2d)
{
    /* size (1, 1, 2, 2), not aligned: base coordinates -0.5 and 0.5.
     * theta = [[1, 0, 0.25], [0, 2, 0]]: (x, y) -> (x + 0.25, 2y). */
    const float theta[6] = {1, 0, 0.25f, 0, 2, 0};
    const float want[8] = {-0.25f, -1, 0.75f, -1, -0.25f, 1, 0.75f, 1};
    const float want_aligned[8] = {-0.75f, -2, 1.25f, -2, -0.75f, 2, 1.25f, 2};   /* base -1 and 1 */
    dlk_affine_grid_params p;
    float grid[8];
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.r = 2;
    p.dims[0] = p.dims[1] = 2;
    dlk_affine_grid_f32(&p, theta, grid);
    expect_f32(grid, want, 8, 1e-6f, "grid");
    p.align_corners = 1;
    dlk_affine_grid_f32(&p, theta, grid);
    expect_f32(grid, want_aligned, 8, 1e-6f, "aligned");
}
END_TEST

static dlk_roi_align_params roi_align_params(int64_t max_mode, int64_t half_pixel)
{
    dlk_roi_align_params p;
    memset(&p, 0, sizeof p);
    p.n = p.c = 1;
    p.h = p.w = 2;
    p.num_rois = 1;
    p.out_h = p.out_w = 1;
    p.sampling_ratio = 1;
    p.max_mode = max_mode;
    p.half_pixel = half_pixel;
    p.spatial_scale = 1.0f;
    return p;
}

START_TEST(roi_align_modes)
{
    /* X [[1, 2], [3, 4]], ROI (0, 0)-(1, 1), one bin, one sample at its
     * centre (0.5, 0.5): avg = bilinear mean 2.5; max = the largest
     * weighted corner 0.25 * 4 = 1. half_pixel with ROI (0.5, 0.5)-(1.5,
     * 1.5) shifts back to the same sample: 2.5. */
    const float x[4] = {1, 2, 3, 4}, roi[4] = {0, 0, 1, 1}, roi_hp[4] = {0.5f, 0.5f, 1.5f, 1.5f};
    const int64_t batch = 0;
    const float avg = 2.5f, mx = 1.0f;
    dlk_roi_align_params p = roi_align_params(0, 0);
    float y;
    dlk_roi_align_f32(&p, x, roi, &batch, &y);
    expect_f32(&y, &avg, 1, 1e-6f, "avg");
    p = roi_align_params(1, 0);
    dlk_roi_align_f32(&p, x, roi, &batch, &y);
    expect_f32(&y, &mx, 1, 1e-6f, "max");
    p = roi_align_params(0, 1);
    dlk_roi_align_f32(&p, x, roi_hp, &batch, &y);
    expect_f32(&y, &avg, 1, 1e-6f, "half_pixel");
}
END_TEST

START_TEST(max_roi_pool_bins)
{
    /* X 3x3 = 1..9, ROI batch 0, (0, 0)-(2, 2): 3x3 pixels, 2x2 bins of
     * 1.5: rows [0, 2) and [1, 3), columns likewise. Maxima 5, 6, 8, 9. */
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, roi[5] = {0, 0, 0, 2, 2}, want[4] = {5, 6, 8, 9};
    dlk_max_roi_pool_params p;
    float y[4];
    memset(&p, 0, sizeof p);
    p.n = p.c = 1;
    p.h = p.w = 3;
    p.num_rois = 1;
    p.out_h = p.out_w = 2;
    p.spatial_scale = 1.0f;
    dlk_max_roi_pool_f32(&p, x, roi, y);
    expect_f32(y, want, 4, 0, "y");
}
END_TEST

START_TEST(center_crop_pad_1d_and_2d)
{
    /* [1..5] to 3: crop starts (5 - 3) / 2 = 1 -> [2, 3, 4]. To 8: padding
     * starts (8 - 5) / 2 = 1 -> [0, 1..5, 0, 0]. 2x3 [[1,2,3],[4,5,6]] to
     * 4x1: rows padded by 1 at the top, columns cropped from 1 -> column
     * [2, 5] in rows 1 and 2. */
    const float x[5] = {1, 2, 3, 4, 5}, w1[3] = {2, 3, 4}, w2[8] = {0, 1, 2, 3, 4, 5, 0, 0};
    const float x2[6] = {1, 2, 3, 4, 5, 6}, w3[4] = {0, 2, 5, 0};
    dlk_crop_pad_params p;
    float y[8];
    memset(&p, 0, sizeof p);
    p.rank = 1;
    p.elem_size = 4;
    p.in_dims[0] = 5;
    p.out_dims[0] = 3;
    p.shift[0] = 1;
    dlk_crop_pad(&p, x, y);
    expect_f32(y, w1, 3, 0, "crop");
    p.out_dims[0] = 8;
    p.shift[0] = -1;
    dlk_crop_pad(&p, x, y);
    expect_f32(y, w2, 8, 0, "pad");
    p.rank = 2;
    p.in_dims[0] = 2;
    p.in_dims[1] = 3;
    p.out_dims[0] = 4;
    p.out_dims[1] = 1;
    p.shift[0] = -1;
    p.shift[1] = 1;
    dlk_crop_pad(&p, x2, y);
    expect_f32(y, w3, 4, 0, "2d");
}
END_TEST

START_TEST(col2im_overlap)
{
    /* Image 3, block 2, stride 1: 2 sliding positions. Tap k at position l
     * lands on pixel l + k: [[1, 2], [3, 4]] -> [1, 2 + 3, 4]. */
    const float x[4] = {1, 2, 3, 4}, want[3] = {1, 5, 4};
    dlk_col2im_params p;
    float y[3];
    memset(&p, 0, sizeof p);
    p.n = p.c = 1;
    p.r = 1;
    p.image[0] = 3;
    p.block[0] = 2;
    p.cols[0] = 2;
    p.dilations[0] = p.strides[0] = 1;
    dlk_col2im_f32(&p, x, y);
    expect_f32(y, want, 3, 0, "y");
}
END_TEST

START_TEST(deform_conv_offsets)
{
    /* X [[1, 2], [3, 4]], a 1x1 kernel of weight 2, bias 1, every offset
     * (0.5, 0.5). Output (0, 0) samples (0.5, 0.5) = 2.5 -> 2 * 2.5 + 1 = 6.
     * (0, 1) samples (0.5, 1.5): column 2 is outside (0), so 0.25 * 2 +
     * 0.25 * 4 = 1.5 -> 4. (1, 0) samples (1.5, 0.5): 0.25 * 3 + 0.25 * 4
     * = 1.75 -> 4.5. (1, 1): only 0.25 * 4 = 1 -> 3. A mask of 0.5 halves
     * the sampled terms: 3.5, 2.5, 2.75, 2. */
    const float x[4] = {1, 2, 3, 4}, w = 2, b = 1;
    const float off[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, mask[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    const float want[4] = {6, 4, 4.5f, 3}, want_mask[4] = {3.5f, 2.5f, 2.75f, 2};
    dlk_deform_conv_params p;
    float y[4];
    memset(&p, 0, sizeof p);
    p.n = p.c = p.oc = 1;
    p.h = p.w = p.oh = p.ow = 2;
    p.kh = p.kw = 1;
    p.group = p.offset_group = 1;
    p.strides[0] = p.strides[1] = p.dilations[0] = p.dilations[1] = 1;
    dlk_deform_conv_f32(&p, x, &w, off, &b, NULL, y);
    expect_f32(y, want, 4, 1e-6f, "y");
    dlk_deform_conv_f32(&p, x, &w, off, &b, mask, y);
    expect_f32(y, want_mask, 4, 1e-6f, "masked");
}
END_TEST

START_TEST(max_unpool_into_larger_output)
{
    /* Values 5, 6 at flat indices 1 and 3 of the pooled shape (1, 1, 4),
     * placed into an output of (1, 1, 5): [0, 5, 0, 6, 0]. */
    const float x[2] = {5, 6}, want[5] = {0, 5, 0, 6, 0};
    const int64_t ind[2] = {1, 3};
    dlk_max_unpool_params p;
    float y[5];
    memset(&p, 0, sizeof p);
    p.rank = 3;
    p.elem_size = 4;
    p.count = 2;
    p.pooled[0] = p.pooled[1] = p.out_dims[0] = p.out_dims[1] = 1;
    p.pooled[2] = 4;
    p.out_dims[2] = 5;
    dlk_max_unpool(&p, x, ind, y);
    expect_f32(y, want, 5, 0, "y");
}
END_TEST

START_TEST(resize_linear_antialias)
{
    /* [0, 1, 2, 3] at scale 0.5, half_pixel: output 0 samples 0.5, output
     * 1 samples 2.5. The filter widens to 4 taps floor(x) - 1 .. floor(x)
     * + 2 with weights 1 - |(t - 0.5) * 0.5| = 0.25, 0.75, 0.75, 0.25,
     * normalised by 2 to 0.125, 0.375, 0.375, 0.125; edge taps repeat.
     * y0 = 0.125 * 0 + 0.375 * 0 + 0.375 * 1 + 0.125 * 2 = 0.625;
     * y1 = 0.125 * 1 + 0.375 * 2 + 0.375 * 3 + 0.125 * 3 = 2.375. */
    const float x[4] = {0, 1, 2, 3}, want[2] = {0.625f, 2.375f};
    dlk_resize_params p;
    float y[2];
    memset(&p, 0, sizeof p);
    p.rank = 1;
    p.elem_size = 4;
    p.mode = DLK_RESIZE_LINEAR;
    p.coord_mode = DLK_RESIZE_HALF_PIXEL;
    p.antialias = 1;
    p.in_dims[0] = 4;
    p.out_dims[0] = 2;
    p.scales[0] = 0.5f;
    p.cubic_a = -0.75f;
    dlk_resize_aa_f32(&p, x, y);
    expect_f32(y, want, 2, 1e-6f, "y");
}
END_TEST

static Suite *geometry_suite(void)
{
    Suite *s = suite_create("kernels_geometry");
    TCase *sample = tcase_create("sample"), *roi = tcase_create("roi"), *image = tcase_create("image");
    tcase_add_test(sample, grid_sample_linear_align_corners);
    tcase_add_test(sample, grid_sample_nearest_zeros);
    tcase_add_test(sample, grid_sample_border_and_reflection);
    tcase_add_test(sample, grid_sample_cubic_at_pixel);
    tcase_add_test(sample, affine_grid_2d);
    tcase_add_test(roi, roi_align_modes);
    tcase_add_test(roi, max_roi_pool_bins);
    tcase_add_test(image, center_crop_pad_1d_and_2d);
    tcase_add_test(image, col2im_overlap);
    tcase_add_test(image, deform_conv_offsets);
    tcase_add_test(image, max_unpool_into_larger_output);
    tcase_add_test(image, resize_linear_antialias);
    suite_add_tcase(s, sample);
    suite_add_tcase(s, roi);
    suite_add_tcase(s, image);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(geometry_suite());
    int failed;
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
