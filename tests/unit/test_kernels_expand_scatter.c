/* Hand-computed checks of expand.h, scatter.h and space.h. */
#include <check.h>
#include <stdlib.h>

#include "kernels/expand.h"
#include "kernels/scatter.h"
#include "kernels/space.h"

#define CHECK_ARRAY(got, want, n)                                                               \
    do {                                                                                        \
        int i_;                                                                                 \
        for (i_ = 0; i_ < (int)(n); i_++)                                                       \
            ck_assert_msg((got)[i_] == (want)[i_], "element %d: got %g, want %g", i_,          \
                          (double)(got)[i_], (double)(want)[i_]);                               \
    } while (0)

START_TEST(test_tile_expand)
{
    /* Tile [[1,2],[3,4]] by (2,1): rows repeat -> [[1,2],[3,4],[1,2],[3,4]]. */
    const float x[4] = {1, 2, 3, 4};
    const float want_tile[8] = {1, 2, 3, 4, 1, 2, 3, 4};
    /* Expand a column [5,6] (2x1) to 2x3: each row repeats its one value. */
    const int16_t col[2] = {5, 6};
    const int16_t want_expand[6] = {5, 5, 5, 6, 6, 6};
    float y[8];
    int16_t e[6];
    dlk_tile_params p = {2, {4, 2}, {2, 2}, 4};
    dlk_tile_params q = {2, {2, 3}, {2, 1}, 2};
    dlk_tile(&p, x, y);
    CHECK_ARRAY(y, want_tile, 8);
    dlk_tile(&q, col, e);
    CHECK_ARRAY(e, want_expand, 6);
}
END_TEST

START_TEST(test_trilu)
{
    /* 3x3 of 1..9. upper, k=1: keep j - i >= 1 -> only (0,1),(0,2),(1,2) = 2,3,6.
     * lower, k=-1: keep j - i <= -1 -> (1,0),(2,0),(2,1) = 4,7,8. */
    const int64_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int64_t want_u[9] = {0, 2, 3, 0, 0, 6, 0, 0, 0};
    const int64_t want_l[9] = {0, 0, 0, 4, 0, 0, 7, 8, 0};
    const int64_t want_u0[9] = {1, 2, 3, 0, 5, 6, 0, 0, 9};
    int64_t y[9];
    const int64_t kp = 1, km = -1;
    dlk_trilu_params p = {1, 3, 3, 1, 8};
    dlk_trilu(&p, x, &kp, y);
    CHECK_ARRAY(y, want_u, 9);
    dlk_trilu(&p, x, NULL, y);   /* k absent: 0 */
    CHECK_ARRAY(y, want_u0, 9);
    p.upper = 0;
    dlk_trilu(&p, x, &km, y);
    CHECK_ARRAY(y, want_l, 9);
}
END_TEST

START_TEST(test_eyelike_range)
{
    /* 2x3, k=1: ones at (0,1) and (1,2). */
    const double want_eye[6] = {0, 1, 0, 0, 0, 1};
    double eye[6];
    /* Range(10, 4, -2) = 10, 8, 6 (int32); Range(1, 2, 0.25) = 1, 1.25, 1.5, 1.75 (float32). */
    const int32_t want_ri[3] = {10, 8, 6};
    const float want_rf[4] = {1.0f, 1.25f, 1.5f, 1.75f};
    int32_t ri[3];
    float rf[4];
    dlk_eyelike(eye, 2, 3, 1, 11, 8);
    CHECK_ARRAY(eye, want_eye, 6);
    dlk_range_i64(ri, 3, 10, -2, 6);
    CHECK_ARRAY(ri, want_ri, 3);
    dlk_range_f64(rf, 4, 1.0, 0.25, 1);
    CHECK_ARRAY(rf, want_rf, 4);
}
END_TEST

START_TEST(test_gather_elements)
{
    /* data [[1,2],[3,4]], indices [[0,0],[1,-2]] on axis 1:
     * y[0] = [data[0][0], data[0][0]] = [1,1]; y[1] = [data[1][1], data[1][0]] = [4,3]. */
    const float data[4] = {1, 2, 3, 4};
    const int64_t idx[4] = {0, 0, 1, -2};
    const float want[4] = {1, 1, 4, 3};
    float y[4];
    dlk_elements_params p = {2, 1, {2, 2}, {2, 2}, 4, 7, 1, 0};
    dlk_gather_elements(&p, data, idx, y);
    CHECK_ARRAY(y, want, 4);
}
END_TEST

START_TEST(test_scatter_elements_add)
{
    /* data [1,2,3,4,5], indices [1,1], updates [1.1,2.1], add on axis 0:
     * y[1] = 2 + 1.1 + 2.1 = 5.2 (the ONNX duplicate-indices example). */
    const float data[5] = {1, 2, 3, 4, 5};
    const int32_t idx[2] = {1, 1};
    const float upd[2] = {1.1f, 2.1f};
    const float want[5] = {1, 2 + 1.1f + 2.1f, 3, 4, 5};
    float y[5];
    dlk_elements_params p = {1, 0, {2}, {5}, 4, 6, 1, 1};
    dlk_scatter_elements(&p, data, idx, upd, y, sizeof data);
    CHECK_ARRAY(y, want, 5);
}
END_TEST

START_TEST(test_gathernd)
{
    /* data 2x2x2 = 0..7, batch_dims 1, indices [[1],[0]]:
     * batch 0 picks row 1 = [2,3]; batch 1 picks row 0 = [4,5]. */
    const int32_t data[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int64_t idx[2] = {1, 0};
    const int32_t want[4] = {2, 3, 4, 5};
    int32_t y[4];
    dlk_nd_params p = {2, 1, 1, {2}, {2}, 4, 2, 4, 7, 6, 0};
    dlk_gathernd(&p, data, idx, y);
    CHECK_ARRAY(y, want, 4);
}
END_TEST

START_TEST(test_scatternd_mul)
{
    /* data 2x2 [[1,2],[3,4]], indices [[0,1],[1,0]] (element tuples), updates [10,-1], mul:
     * y[0][1] = 2*10 = 20, y[1][0] = 3*-1 = -3. */
    const int64_t data[4] = {1, 2, 3, 4};
    const int64_t idx[4] = {0, 1, 1, 0};
    const int64_t upd[2] = {10, -1};
    const int64_t want[4] = {1, 20, -3, 4};
    int64_t y[4];
    dlk_nd_params p = {1, 2, 2, {2, 2}, {2, 1}, 4, 1, 8, 7, 7, 2};
    dlk_scatternd(&p, data, idx, upd, y, sizeof data);
    CHECK_ARRAY(y, want, 4);
}
END_TEST

START_TEST(test_onehot)
{
    /* indices [1, -1, 5] (float), depth 3, values {0, 9}, axis -1:
     * rows [0,9,0], [0,0,9] (-1 -> 2), [0,0,0] (5 out of range). */
    const float idx[3] = {1, -1, 5};
    const int32_t values[2] = {0, 9};
    const int32_t want[9] = {0, 9, 0, 0, 0, 9, 0, 0, 0};
    int32_t y[9];
    dlk_onehot_params p = {3, 3, 1, 4, 1};
    dlk_onehot(&p, idx, values, y);
    CHECK_ARRAY(y, want, 9);
}
END_TEST

START_TEST(test_depth_space)
{
    /* x: 1x4x1x1 = [a,b,c,d] = [0,1,2,3], block 2.
     * DCR (c=1): depth channel (i*2+j) -> y[i][j] = x[i*2+j]: [[0,1],[2,3]].
     * Depth 1x8x1x1 = 0..7 to space with 2 channels, CRD: y[c][i][j] = x[c*4 + i*2 + j]
     * -> channel 0 [0,1,2,3], channel 1 [4,5,6,7]; DCR: x[(i*2+j)*2 + c]
     * -> channel 0 [0,2,4,6], channel 1 [1,3,5,7]. */
    const uint8_t x4[4] = {0, 1, 2, 3};
    const uint8_t x8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const uint8_t want_dcr1[4] = {0, 1, 2, 3};
    const uint8_t want_crd[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const uint8_t want_dcr[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    uint8_t y[8], back[8];
    dlk_space_params p = {1, 1, 1, 1, 2, 0, 1, 1};
    dlk_space_depth(&p, x4, y);
    CHECK_ARRAY(y, want_dcr1, 4);
    p.c = 2;
    p.crd = 1;
    dlk_space_depth(&p, x8, y);
    CHECK_ARRAY(y, want_crd, 8);
    p.crd = 0;
    dlk_space_depth(&p, x8, y);
    CHECK_ARRAY(y, want_dcr, 8);
    /* SpaceToDepth with the same parameters inverts it. */
    p.to_space = 0;
    dlk_space_depth(&p, y, back);
    CHECK_ARRAY(back, x8, 8);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kernels_expand_scatter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_tile_expand);
    tcase_add_test(tc, test_trilu);
    tcase_add_test(tc, test_eyelike_range);
    tcase_add_test(tc, test_gather_elements);
    tcase_add_test(tc, test_scatter_elements_add);
    tcase_add_test(tc, test_gathernd);
    tcase_add_test(tc, test_scatternd_mul);
    tcase_add_test(tc, test_onehot);
    tcase_add_test(tc, test_depth_space);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
