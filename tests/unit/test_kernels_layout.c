/* Data-movement kernels: copy, transpose, concat/split, slice. Expected
 * values are worked out by hand in the comments, or computed by naive
 * index-arithmetic loops written here independently of the kernels. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels/concat.h"
#include "kernels/copy.h"
#include "kernels/slice.h"
#include "kernels/transpose.h"
#include "sequential_pool.h"

/* ---------------------------------------------------------------- copy */

START_TEST(test_copy_bytes)
{
    int64_t src[5] = {1, -2, 3, INT64_MAX, INT64_MIN}, dst[5] = {0};
    dlk_copy(src, dst, sizeof src);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(dst[i], src[i]);
    dlk_copy(dst, dst, sizeof dst);     /* a view copied onto itself is a no-op */
    ck_assert_int_eq(dst[3], INT64_MAX);
}
END_TEST

/* gather_row for every specialised element size and the generic one (3). */
START_TEST(test_gather_row_sizes)
{
    static const int64_t sizes[] = {1, 2, 4, 8, 3};
    unsigned char x[10 * 8], y[10 * 8];
    for (int s = 0; s < 5; s++) {
        int64_t es = sizes[s];
        for (int i = 0; i < 10 * es; i++)
            x[i] = (unsigned char)(i + 1);
        /* stride 3 from element 0: elements 0, 3, 6, 9 */
        dlk_gather_row(x, 3, y, 4, es);
        for (int e = 0; e < 4; e++)
            for (int b = 0; b < es; b++)
                ck_assert_int_eq(y[e * es + b], x[3 * e * es + b]);
        /* stride -2 from element 9: elements 9, 7, 5, 3, 1 */
        dlk_gather_row(x + 9 * es, -2, y, 5, es);
        for (int e = 0; e < 5; e++)
            for (int b = 0; b < es; b++)
                ck_assert_int_eq(y[e * es + b], x[(9 - 2 * e) * es + b]);
        /* stride 0 broadcasts element 4 */
        dlk_gather_row(x + 4 * es, 0, y, 3, es);
        for (int e = 0; e < 3; e++)
            ck_assert_int_eq(y[e * es], x[4 * es]);
    }
}
END_TEST

/* ----------------------------------------------------------- transpose */

static dlk_transpose_params tparams(int rank, int64_t es, const int64_t *dims, const int64_t *perm)
{
    dlk_transpose_params p;
    memset(&p, 0, sizeof p);
    p.rank = rank;
    p.elem_size = es;
    for (int i = 0; i < rank; i++) {
        p.in_dims[i] = dims[i];
        p.perm[i] = perm[i];
    }
    return p;
}

/* x[i,j,k] = i*12 + j*4 + k on a 2x3x4 input. */
static void fill_2x3x4(float *x)
{
    for (int i = 0; i < 24; i++)
        x[i] = (float)i;
}

START_TEST(test_transpose_201)
{
    static const int64_t dims[3] = {2, 3, 4}, perm[3] = {2, 0, 1};
    dlk_transpose_params p = tparams(3, 4, dims, perm);
    float x[24], y[24];
    fill_2x3x4(x);
    dlk_transpose(&p, x, y);
    /* Output shape (4,2,3); y[k,i,j] at k*6 + i*3 + j equals x[i,j,k]. */
    ck_assert_float_eq(y[0], 0.0f);     /* y[0,0,0] = x[0,0,0] */
    ck_assert_float_eq(y[1], 4.0f);     /* y[0,0,1] = x[0,1,0] = 4 */
    ck_assert_float_eq(y[3], 12.0f);    /* y[0,1,0] = x[1,0,0] = 12 */
    ck_assert_float_eq(y[6], 1.0f);     /* y[1,0,0] = x[0,0,1] = 1 */
    ck_assert_float_eq(y[11], 21.0f);   /* y[1,1,2] = x[1,2,1] = 12+8+1 */
    ck_assert_float_eq(y[23], 23.0f);   /* y[3,1,2] = x[1,2,3] = 12+8+3 */
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                ck_assert_float_eq(y[k * 6 + i * 3 + j], (float)(i * 12 + j * 4 + k));
}
END_TEST

START_TEST(test_transpose_102_int64)
{
    static const int64_t dims[3] = {2, 3, 4}, perm[3] = {1, 0, 2};
    dlk_transpose_params p = tparams(3, 8, dims, perm);
    int64_t x[24], y[24];
    for (int i = 0; i < 24; i++)
        x[i] = 1000 + i;
    dlk_transpose(&p, x, y);
    /* Output shape (3,2,4); y[j,i,k] at j*8 + i*4 + k equals x[i,j,k]. */
    ck_assert_int_eq(y[4], 1012);       /* y[0,1,0] = x[1,0,0] = 12 */
    ck_assert_int_eq(y[8], 1004);       /* y[1,0,0] = x[0,1,0] = 4 */
    ck_assert_int_eq(y[13], 1017);      /* y[1,1,1] = x[1,1,1] = 12+4+1 */
    ck_assert_int_eq(y[19], 1011);      /* y[2,0,3] = x[0,2,3] = 8+3 */
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++)
                ck_assert_int_eq(y[j * 8 + i * 4 + k], 1000 + i * 12 + j * 4 + k);
}
END_TEST

/* SEED-NOTES T22 (F0:718-749): N=2 C=16 H=5 W=4 with value(n,c,h,w) equal
 * to the NCHW offset n*320 + c*20 + h*4 + w. */
enum { T22_N = 2, T22_C = 16, T22_H = 5, T22_W = 4, T22_SIZE = 640 };

static void fill_t22(int32_t *x)
{
    for (int i = 0; i < T22_SIZE; i++)
        x[i] = i;
}

START_TEST(test_transpose_t22_nhwc)
{
    static const int64_t dims[4] = {T22_N, T22_C, T22_H, T22_W}, perm[4] = {0, 2, 3, 1};
    /* What the compiler passes after merging H and W: (N, C, HW) -> (N, HW, C). */
    static const int64_t mdims[3] = {T22_N, T22_C, T22_H * T22_W}, mperm[3] = {0, 2, 1};
    dlk_transpose_params p = tparams(4, 4, dims, perm), mp = tparams(3, 4, mdims, mperm);
    int32_t x[T22_SIZE], y[T22_SIZE], ym[T22_SIZE];
    fill_t22(x);
    dlk_transpose(&p, x, y);
    dlk_transpose(&mp, x, ym);
    /* The notes' NHWC order: 000 020 ... 300 (C), 001 021 ... 303 (W),
     * 004 ... 319 (H), 320 340 ... (N). */
    for (int c = 0; c < 16; c++)
        ck_assert_int_eq(y[c], 20 * c);         /* 0, 20, ..., 300 */
    ck_assert_int_eq(y[15], 300);
    ck_assert_int_eq(y[16], 1);                 /* w=1, c=0 */
    ck_assert_int_eq(y[17], 21);
    ck_assert_int_eq(y[63], 303);               /* h=0 w=3 c=15: 300+3 */
    ck_assert_int_eq(y[64], 4);                 /* h=1 w=0 c=0 */
    ck_assert_int_eq(y[319], 319);              /* n=0 h=4 w=3 c=15: 300+16+3 */
    ck_assert_int_eq(y[320], 320);              /* n=1 */
    ck_assert_int_eq(y[321], 340);
    /* offset_nhwc = n*HWC + h*WC + w*C + c holds value(n,c,h,w) everywhere. */
    for (int n = 0; n < T22_N; n++)
        for (int c = 0; c < T22_C; c++)
            for (int h = 0; h < T22_H; h++)
                for (int w = 0; w < T22_W; w++)
                    ck_assert_int_eq(y[n * 320 + h * 64 + w * 16 + c], n * 320 + c * 20 + h * 4 + w);
    ck_assert_mem_eq(y, ym, sizeof y);
}
END_TEST

START_TEST(test_transpose_t22_chwn)
{
    static const int64_t dims[4] = {T22_N, T22_C, T22_H, T22_W}, perm[4] = {1, 2, 3, 0};
    dlk_transpose_params p = tparams(4, 4, dims, perm);
    int32_t x[T22_SIZE], y[T22_SIZE];
    fill_t22(x);
    dlk_transpose(&p, x, y);
    /* The notes' CHWN order: 000 320 (N), 001 321 ... (W), 004 324 ... 019 339 (H),
     * 020 340 ... (C). offset_chwn = c*HWN + h*WN + w*N + n. */
    ck_assert_int_eq(y[0], 0);
    ck_assert_int_eq(y[1], 320);
    ck_assert_int_eq(y[2], 1);
    ck_assert_int_eq(y[3], 321);
    ck_assert_int_eq(y[8], 4);      /* h=1: (1*4+0)*2 */
    ck_assert_int_eq(y[9], 324);
    ck_assert_int_eq(y[38], 19);    /* h=4 w=3: (4*4+3)*2 */
    ck_assert_int_eq(y[39], 339);
    ck_assert_int_eq(y[40], 20);    /* c=1: 1*40 */
    ck_assert_int_eq(y[41], 340);
}
END_TEST

/* Independent reference: for each output index, find the input element. */
static void naive_transpose(int rank, const int64_t *dims, const int64_t *perm, int64_t es,
                            const unsigned char *x, unsigned char *y)
{
    int64_t total = 1, istride[DLK_MAX_RANK];
    for (int i = rank - 1; i >= 0; i--) {
        istride[i] = total;
        total *= dims[i];
    }
    for (int64_t o = 0; o < total; o++) {
        int64_t rem = o, in = 0;
        for (int i = rank - 1; i >= 0; i--) {
            int64_t odim = dims[perm[i]];
            in += (rem % odim) * istride[perm[i]];
            rem /= odim;
        }
        memcpy(y + o * es, x + in * es, (size_t)es);
    }
}


/* Random shapes and permutations of rank 1..6, each element size, against
 * the reference, in one piece and split over 3 threads; some shapes are
 * larger than the 32x32 tile. */
START_TEST(test_transpose_random)
{
    dlk_par three = {3, sequential_run, NULL};
    static const int64_t sizes[] = {1, 2, 4, 8, 3};
    unsigned seed = 12345;
    for (int trial = 0; trial < 300; trial++) {
        int rank = 1 + trial % 6;
        int64_t es = sizes[trial % 5], dims[DLK_MAX_RANK], perm[DLK_MAX_RANK], total = 1;
        for (int i = 0; i < rank; i++) {
            seed = seed * 1103515245u + 12345u;
            dims[i] = rank <= 2 ? 1 + (seed >> 16) % 70 : 1 + (seed >> 16) % 5;
            total *= dims[i];
            perm[i] = i;
        }
        for (int i = rank - 1; i > 0; i--) {    /* Fisher-Yates */
            int64_t t;
            int j;
            seed = seed * 1103515245u + 12345u;
            j = (int)((seed >> 16) % (unsigned)(i + 1));
            t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        unsigned char *x = malloc((size_t)(total * es)), *y = malloc((size_t)(total * es));
        unsigned char *ref = malloc((size_t)(total * es));
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(y);
        ck_assert_ptr_nonnull(ref);
        for (int64_t i = 0; i < total * es; i++)
            x[i] = (unsigned char)(i * 7 + i / 251);
        dlk_transpose_params p = tparams(rank, es, dims, perm);
        dlk_transpose(&p, x, y);
        naive_transpose(rank, dims, perm, es, x, ref);
        ck_assert_msg(memcmp(y, ref, (size_t)(total * es)) == 0,
                      "trial %d: rank %d es %d differs from the reference", trial, rank, (int)es);
        /* Split over 3 threads (the shares run in turn): axis 0 in three parts where it splits. */
        memset(y, 0, (size_t)(total * es));
        dlk_transpose_par(&three, &p, x, y);
        ck_assert_msg(memcmp(y, ref, (size_t)(total * es)) == 0,
                      "trial %d: rank %d es %d differs from the reference on 3 threads", trial, rank, (int)es);
        free(x);
        free(y);
        free(ref);
    }
}
END_TEST

START_TEST(test_transpose_scalar_and_empty)
{
    static const int64_t dims[2] = {0, 3}, perm[2] = {1, 0};
    dlk_transpose_params p = tparams(0, 8, NULL, NULL), e = tparams(2, 4, dims, perm);
    double x = 2.5, y = 0.0;
    float untouched = 7.0f;
    dlk_transpose(&p, &x, &y);
    ck_assert_double_eq(y, 2.5);
    dlk_transpose(&e, NULL, &untouched);    /* 0 elements: reads and writes nothing */
    ck_assert_float_eq(untouched, 7.0f);
}
END_TEST

/* -------------------------------------------------------- concat/split */

START_TEST(test_concat_axis1_int64)
{
    /* a = [[1,2],[3,4]] (2x2), b = [[5,6,7],[8,9,10]] (2x3) -> 2x5.
     * outer = 2, inner = 1 element = 8 bytes; y rows are 5*8 = 40 bytes. */
    int64_t a[4] = {1, 2, 3, 4}, b[6] = {5, 6, 7, 8, 9, 10}, y[10];
    static const int64_t expect[10] = {1, 2, 5, 6, 7, 3, 4, 8, 9, 10};
    dlk_concat_part(a, y, 2, 2 * 8, 5 * 8, 0);
    dlk_concat_part(b, y, 2, 3 * 8, 5 * 8, 2 * 8);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(y[i], expect[i]);
}
END_TEST

START_TEST(test_concat_axis1_float)
{
    /* a (2,1,2) = [[[1,2]],[[3,4]]], b (2,2,2) = [[[5,6],[7,8]],[[9,10],[11,12]]]
     * -> (2,3,2) = [[[1,2],[5,6],[7,8]], [[3,4],[9,10],[11,12]]].
     * outer = 2, inner = 2 floats = 8 bytes; y rows 3*8 = 24 bytes. */
    float a[4] = {1, 2, 3, 4}, b[8] = {5, 6, 7, 8, 9, 10, 11, 12}, y[12];
    static const float expect[12] = {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12};
    dlk_concat_part(a, y, 2, 1 * 8, 3 * 8, 0);
    dlk_concat_part(b, y, 2, 2 * 8, 3 * 8, 1 * 8);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(y[i], expect[i]);
}
END_TEST

START_TEST(test_concat_empty_part)
{
    int64_t a[2] = {1, 2}, y[2] = {-1, -1};
    dlk_concat_part(NULL, y, 2, 0, 8, 0);   /* an input of size 0 on the axis */
    ck_assert_int_eq(y[0], -1);
    dlk_concat_part(a, y, 1, 16, 16, 0);
    ck_assert_int_eq(y[1], 2);
}
END_TEST

START_TEST(test_split_uneven)
{
    /* x (2,7) = 0..13 split on axis 1 into 3 outputs. Opset-18 rule:
     * ceil(7/3) = 3 each, last 7 - 2*3 = 1 -> sizes 3, 3, 1.
     * outer = 2; x rows are 7*4 = 28 bytes. */
    int32_t x[14], y0[6], y1[6], y2[2];
    static const int32_t e0[6] = {0, 1, 2, 7, 8, 9}, e1[6] = {3, 4, 5, 10, 11, 12}, e2[2] = {6, 13};
    for (int i = 0; i < 14; i++)
        x[i] = i;
    dlk_split_part(x, y0, 2, 28, 3 * 4, 0);
    dlk_split_part(x, y1, 2, 28, 3 * 4, 3 * 4);
    dlk_split_part(x, y2, 2, 28, 1 * 4, 6 * 4);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(y0[i], e0[i]);
        ck_assert_int_eq(y1[i], e1[i]);
    }
    ck_assert_int_eq(y2[0], e2[0]);
    ck_assert_int_eq(y2[1], e2[1]);
}
END_TEST

START_TEST(test_split_bool_axis0)
{
    /* x (3,2) bool split on axis 0 into 1 and 2 rows: outer = 1. */
    unsigned char x[6] = {1, 0, 0, 1, 1, 1}, a[2], b[4];
    dlk_split_part(x, a, 1, 6, 2, 0);
    dlk_split_part(x, b, 1, 6, 4, 2);
    ck_assert_mem_eq(a, x, 2);
    ck_assert_mem_eq(b, x + 2, 4);
}
END_TEST

/* --------------------------------------------------------------- slice */

START_TEST(test_slice_clamp)
{
    int64_t first, count;
    /* dim 10, x[-1::-3] with end INT64_MIN: start 9, end clamps to -1,
     * count = (9 - (-1) - 1)/3 + 1 = 4 -> 9, 6, 3, 0. */
    dlk_slice_clamp(10, -1, INT64_MIN, -3, &first, &count);
    ck_assert_int_eq(first, 9);
    ck_assert_int_eq(count, 4);
    /* dim 5, start 20 end -20 step -2: start clamps to 4, end -15 to -1 -> 4, 2, 0. */
    dlk_slice_clamp(5, 20, -20, -2, &first, &count);
    ck_assert_int_eq(first, 4);
    ck_assert_int_eq(count, 3);
    /* dim 5, start -100 end 100 step 2: -95 clamps to 0, 100 to 5 -> 0, 2, 4. */
    dlk_slice_clamp(5, -100, 100, 2, &first, &count);
    ck_assert_int_eq(first, 0);
    ck_assert_int_eq(count, 3);
    /* dim 4, x[-1:-5:-1]: start 3, end -1 (kept, since -1 means "before 0") -> 3, 2, 1, 0. */
    dlk_slice_clamp(4, -1, -5, -1, &first, &count);
    ck_assert_int_eq(first, 3);
    ck_assert_int_eq(count, 4);
    /* Empty: start after end with a positive step. */
    dlk_slice_clamp(5, 3, 1, 1, &first, &count);
    ck_assert_int_eq(count, 0);
    /* Extreme steps must not overflow: one element each. */
    dlk_slice_clamp(5, 1, INT64_MAX, INT64_MAX, &first, &count);
    ck_assert_int_eq(first, 1);
    ck_assert_int_eq(count, 1);
    dlk_slice_clamp(5, INT64_MAX, INT64_MIN, INT64_MIN, &first, &count);
    ck_assert_int_eq(first, 4);
    ck_assert_int_eq(count, 1);
    /* A dim of 0 gives nothing, whatever the step. */
    dlk_slice_clamp(0, 0, 10, 1, &first, &count);
    ck_assert_int_eq(count, 0);
    dlk_slice_clamp(0, -1, INT64_MIN, -1, &first, &count);
    ck_assert_int_eq(count, 0);
}
END_TEST

START_TEST(test_slice_negative_steps_2d)
{
    /* x (3,4) = 0..11; axis 0: start 2 end INT64_MIN step -2 -> rows 2, 0;
     * axis 1: start -1 end 0 step -1 -> cols 3, 2, 1.
     * y = [[x[2,3], x[2,2], x[2,1]], [x[0,3], x[0,2], x[0,1]]] = [[11,10,9],[3,2,1]]. */
    float x[12], y[6];
    static const float expect[6] = {11, 10, 9, 3, 2, 1};
    dlk_slice_params p;
    int64_t f0, c0, f1, c1;
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    dlk_slice_clamp(3, 2, INT64_MIN, -2, &f0, &c0);
    dlk_slice_clamp(4, -1, 0, -1, &f1, &c1);
    ck_assert_int_eq(f0, 2);
    ck_assert_int_eq(c0, 2);
    ck_assert_int_eq(f1, 3);
    ck_assert_int_eq(c1, 3);
    memset(&p, 0, sizeof p);
    p.rank = 2;
    p.elem_size = 4;
    p.in_dims[0] = 3;
    p.in_dims[1] = 4;
    p.out_dims[0] = c0;
    p.out_dims[1] = c1;
    p.starts[0] = f0;
    p.starts[1] = f1;
    p.steps[0] = -2;
    p.steps[1] = -1;
    dlk_slice(&p, x, y);
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(y[i], expect[i]);
}
END_TEST

START_TEST(test_slice_5d)
{
    /* x (2,3,4,5,6) int16 = flat index; strides (360,120,30,6,1).
     * axis 0: [1:2]; axis 1: [0::2] -> 0,2; axis 2: [3:0:-1] -> 3,2,1;
     * axis 3: whole; axis 4: [1::2] -> 1,3,5. y (1,2,3,5,3), 90 elements. */
    static const int64_t in[5] = {2, 3, 4, 5, 6}, out[5] = {1, 2, 3, 5, 3};
    static const int64_t starts[5] = {1, 0, 3, 0, 1}, steps[5] = {1, 2, -1, 1, 2};
    int16_t x[720], y[90];
    dlk_slice_params p;
    int k = 0;
    for (int i = 0; i < 720; i++)
        x[i] = (int16_t)i;
    memset(&p, 0, sizeof p);
    p.rank = 5;
    p.elem_size = 2;
    for (int i = 0; i < 5; i++) {
        p.in_dims[i] = in[i];
        p.out_dims[i] = out[i];
        p.starts[i] = starts[i];
        p.steps[i] = steps[i];
    }
    dlk_slice(&p, x, y);
    ck_assert_int_eq(y[0], 451);    /* x[1,0,3,0,1] = 360 + 90 + 1 */
    ck_assert_int_eq(y[1], 453);    /* x[1,0,3,0,3] */
    ck_assert_int_eq(y[3], 457);    /* x[1,0,3,1,1] = 360 + 90 + 6 + 1 */
    ck_assert_int_eq(y[15], 421);   /* x[1,0,2,0,1] = 360 + 60 + 1 */
    ck_assert_int_eq(y[89], 659);   /* x[1,2,1,4,5] = 360 + 240 + 30 + 24 + 5 */
    for (int a = 0; a < 1; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int d = 0; d < 5; d++)
                    for (int e = 0; e < 3; e++, k++)
                        ck_assert_int_eq(y[k], (1 + a) * 360 + (2 * b) * 120 + (3 - c) * 30 +
                                                   d * 6 + (1 + 2 * e));
}
END_TEST

START_TEST(test_slice_merged_channels)
{
    /* x (2,4,3) double; y = x[:, 1:3, :]. The compiler merges the whole last
     * axis into axis 1: in (2,12), out (2,6), starts (0,3), steps 1.
     * y[n, c', w] = x[n, 1+c', w] = n*12 + (1+c')*3 + w. */
    double x[24], y[12];
    dlk_slice_params p;
    for (int i = 0; i < 24; i++)
        x[i] = i + 0.5;
    memset(&p, 0, sizeof p);
    p.rank = 2;
    p.elem_size = 8;
    p.in_dims[0] = 2;
    p.in_dims[1] = 12;
    p.out_dims[0] = 2;
    p.out_dims[1] = 6;
    p.starts[1] = 3;
    p.steps[0] = p.steps[1] = 1;
    dlk_slice(&p, x, y);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 2; c++)
            for (int w = 0; w < 3; w++)
                ck_assert_double_eq(y[n * 6 + c * 3 + w], n * 12 + (1 + c) * 3 + w + 0.5);
}
END_TEST

START_TEST(test_slice_empty)
{
    static const int64_t in[2] = {3, 4}, out[2] = {0, 4};
    dlk_slice_params p;
    float y = 9.0f;
    memset(&p, 0, sizeof p);
    p.rank = 2;
    p.elem_size = 4;
    memcpy(p.in_dims, in, sizeof in);
    memcpy(p.out_dims, out, sizeof out);
    p.steps[0] = p.steps[1] = 1;
    dlk_slice(&p, NULL, &y);
    ck_assert_float_eq(y, 9.0f);
}
END_TEST

static Suite *layout_suite(void)
{
    Suite *s = suite_create("kernels_layout");
    TCase *copy = tcase_create("copy"), *tr = tcase_create("transpose");
    TCase *cat = tcase_create("concat_split"), *sl = tcase_create("slice");
    tcase_add_test(copy, test_copy_bytes);
    tcase_add_test(copy, test_gather_row_sizes);
    tcase_add_test(tr, test_transpose_201);
    tcase_add_test(tr, test_transpose_102_int64);
    tcase_add_test(tr, test_transpose_t22_nhwc);
    tcase_add_test(tr, test_transpose_t22_chwn);
    tcase_add_test(tr, test_transpose_random);
    tcase_add_test(tr, test_transpose_scalar_and_empty);
    tcase_add_test(cat, test_concat_axis1_int64);
    tcase_add_test(cat, test_concat_axis1_float);
    tcase_add_test(cat, test_concat_empty_part);
    tcase_add_test(cat, test_split_uneven);
    tcase_add_test(cat, test_split_bool_axis0);
    tcase_add_test(sl, test_slice_clamp);
    tcase_add_test(sl, test_slice_negative_steps_2d);
    tcase_add_test(sl, test_slice_5d);
    tcase_add_test(sl, test_slice_merged_channels);
    tcase_add_test(sl, test_slice_empty);
    suite_add_tcase(s, copy);
    suite_add_tcase(s, tr);
    suite_add_tcase(s, cat);
    suite_add_tcase(s, sl);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(layout_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
