/* Resize / Upsample: nearest (any element type, bytes copied), N-linear and
 * N-cubic (float32) interpolation over every axis whose scale is not 1.
 * Coordinates follow onnxruntime's float arithmetic (upsample.h/.cc), so
 * results match it, not only the ONNX reference, bit for bit where possible:
 * an axis of scale 1 is copied whatever the coordinate mode; linear clamps
 * the source coordinate into [0, n-1]; cubic replicates the edge. */
#ifndef DLK_RESIZE_H
#define DLK_RESIZE_H

#include "common.h"

/*@ dlk_resize_params : dlk_common */
#define DLK_RESIZE_NEAREST 0
#define DLK_RESIZE_LINEAR 1
#define DLK_RESIZE_CUBIC 2

/* coordinate_transformation_mode */
#define DLK_RESIZE_HALF_PIXEL 0
#define DLK_RESIZE_ASYMMETRIC 1
#define DLK_RESIZE_PYTORCH_HALF_PIXEL 2
#define DLK_RESIZE_TF_HALF_PIXEL_FOR_NN 3
#define DLK_RESIZE_ALIGN_CORNERS 4
#define DLK_RESIZE_TF_CROP_AND_RESIZE 5
#define DLK_RESIZE_HALF_PIXEL_SYMMETRIC 6

/* nearest_mode */
#define DLK_RESIZE_ROUND_PREFER_FLOOR 0
#define DLK_RESIZE_ROUND_PREFER_CEIL 1
#define DLK_RESIZE_FLOOR 2
#define DLK_RESIZE_CEIL 3
#define DLK_RESIZE_SIMPLE 4     /* Upsample, Resize-10: ceil when downsampling, else truncate */

/* Linear and cubic weigh up to this many input rows (outer-axis corners) per
 * output row; the compiler rejects resizes that would need more. */
#define DLK_RESIZE_MAX_CORNERS 64

/* Antialiased linear and cubic weigh at most this many taps per axis
 * (linear: scales >= 1/32, cubic: >= 1/16); the compiler rejects more. */
#define DLK_RESIZE_AA_MAX_TAPS 64

/* Output columns whose source coordinates are computed together. */
#define DLK_RESIZE_TILE 64

typedef struct dlk_resize_params {
    int64_t rank;                       /* >= 1 */
    int64_t elem_size;                  /* bytes per element (nearest) */
    int64_t mode;                       /* DLK_RESIZE_NEAREST, _LINEAR or _CUBIC */
    int64_t coord_mode;                 /* DLK_RESIZE_HALF_PIXEL ... */
    int64_t nearest_mode;               /* DLK_RESIZE_ROUND_PREFER_FLOOR ... */
    int64_t exclude_outside;            /* cubic: taps outside the input weigh 0 */
    int64_t extrapolate;                /* tf_crop_and_resize: outside the input gives extrapolation_value */
    int64_t antialias;                  /* linear/cubic: widen the filter by 1/scale when downsampling */
    int64_t in_dims[DLK_MAX_RANK];
    int64_t out_dims[DLK_MAX_RANK];
    float scales[DLK_MAX_RANK];         /* output/input per axis; 1 copies the axis */
    float roi[2 * DLK_MAX_RANK];        /* tf_crop_and_resize: starts, then ends */
    float cubic_a;
    float extrapolation_value;          /* float32 data only */
} dlk_resize_params;
/*@end*/

/*@ dlk_resize_coord : dlk_resize_params */
/* The input coordinate that output index x of axis a samples. */
static float dlk_resize_coord(const dlk_resize_params *p, int64_t a, int64_t x)
{
    const float xr = (float)x, scale = p->scales[a];
    const float len_out = (float)p->out_dims[a], len_in = (float)p->in_dims[a];
    float start, end, adjustment;
    switch (p->coord_mode) {
    case DLK_RESIZE_ASYMMETRIC:
        return xr / scale;
    case DLK_RESIZE_PYTORCH_HALF_PIXEL:
        return len_out > 1 ? (xr + 0.5f) / scale - 0.5f : 0.0f;
    case DLK_RESIZE_TF_HALF_PIXEL_FOR_NN:
        return (xr + 0.5f) / scale;
    case DLK_RESIZE_ALIGN_CORNERS:
        /* The ONNX reference divides by scale * len_in - 1, not by the
         * floored output length less 1 (they differ when downsampling by a
         * scale that does not divide the length, e.g. 4 * 0.6). */
        return len_out == 1 ? 0.0f : xr * (len_in - 1) / (scale * len_in - 1);
    case DLK_RESIZE_TF_CROP_AND_RESIZE:
        start = p->roi[a];
        end = p->roi[p->rank + a];
        if (len_out > 1)
            return start * (len_in - 1) + (xr * (end - start) * (len_in - 1)) / (len_out - 1);
        return 0.5f * (start + end) * (len_in - 1);
    case DLK_RESIZE_HALF_PIXEL_SYMMETRIC:
        /* Opset 19: centre the output when floor() shortened it. */
        adjustment = len_out / (scale * len_in);
        return len_in / 2 * (1 - adjustment) + (xr + 0.5f) / scale - 0.5f;
    default: /* DLK_RESIZE_HALF_PIXEL */
        return (xr + 0.5f) / scale - 0.5f;
    }
}

/* tf_crop_and_resize samples outside the input give the extrapolation value. */
static int dlk_resize_outside(const dlk_resize_params *p, int64_t a, float xo)
{
    return p->extrapolate && (xo < 0 || xo > (float)(p->in_dims[a] - 1));
}
/*@end*/

/*@ dlk_resize_nearest : dlk_resize_coord */
/* The input index output index x of axis a copies; sets *outside. */
static int64_t dlk_resize_nearest_index(const dlk_resize_params *p, int64_t a, int64_t x, int *outside)
{
    const int64_t n = p->in_dims[a];
    float xo;
    int64_t i;
    if (p->scales[a] == 1.0f)
        return x;
    xo = dlk_resize_coord(p, a, x);
    if (dlk_resize_outside(p, a, xo))
        *outside = 1;
    switch (p->nearest_mode) {
    case DLK_RESIZE_ROUND_PREFER_CEIL:
        i = (int64_t)roundf(xo);        /* halves round away from zero */
        break;
    case DLK_RESIZE_FLOOR:
        i = (int64_t)floorf(xo);
        break;
    case DLK_RESIZE_CEIL:
        i = (int64_t)ceilf(xo);
        break;
    case DLK_RESIZE_SIMPLE:
        i = p->scales[a] < 1 ? (int64_t)ceilf(xo) : (int64_t)xo;
        break;
    default: /* round_prefer_floor: halves go down */
        i = xo == (float)(int64_t)xo + 0.5f ? (int64_t)floorf(xo) : (int64_t)roundf(xo);
        break;
    }
    return i < 0 ? 0 : (i > n - 1 ? n - 1 : i);
}

/* The input row (over all axes but the last) output row idx copies, or -1
 * when it lies outside the input (tf_crop_and_resize). */
static int64_t dlk_resize_nearest_row(const dlk_resize_params *p, const int64_t *idx)
{
    int64_t k, src = 0;
    int outside = 0;
    for (k = 0; k < p->rank - 1; k++)
        src = src * p->in_dims[k] + dlk_resize_nearest_index(p, k, idx[k], &outside);
    return outside ? -1 : src;
}

/* Columns [x0, x0 + cols) of every output row; col[c] is the input column
 * of output column x0 + c, or -1 for the extrapolation value. */
static void dlk_resize_nearest_tile(const dlk_resize_params *p, const unsigned char *in, unsigned char *out,
                                    int64_t x0, int64_t cols, const int64_t *col)
{
    const int64_t last = p->rank - 1, es = p->elem_size;
    const int64_t in_row = p->in_dims[last] * es, out_row = p->out_dims[last] * es;
    int64_t idx[DLK_MAX_RANK] = {0};
    int64_t rows = 1, r, c, k, src, prev = -1;
    for (k = 0; k < last; k++)
        rows *= p->out_dims[k];
    for (r = 0; r < rows; r++, prev = src) {
        unsigned char *dst = out + r * out_row + x0 * es;
        src = dlk_resize_nearest_row(p, idx);
        if (src >= 0 && src == prev) {
            memcpy(dst, dst - out_row, (size_t)(cols * es));   /* upsampling repeats rows */
        } else {
            for (c = 0; c < cols; c++) {
                if (src < 0 || col[c] < 0)
                    memcpy(dst + c * es, &p->extrapolation_value, sizeof(float));
                else if (es == 4)   /* a constant size becomes one load and store */
                    memcpy(dst + c * 4, in + src * in_row + col[c] * 4, 4);
                else
                    memcpy(dst + c * es, in + src * in_row + col[c] * es, (size_t)es);
            }
        }
        for (k = last - 1; k >= 0; k--) {   /* next output row */
            if (++idx[k] < p->out_dims[k])
                break;
            idx[k] = 0;
        }
    }
}

/* Nearest for any element type (bytes are copied). The last axis's input
 * columns are computed once per tile of columns, not once per row. */
static void dlk_resize_nearest(const dlk_resize_params *p, const void *x, void *y)
{
    const int64_t last = p->rank - 1;
    int64_t col[DLK_RESIZE_TILE], x0, c, cols;
    for (x0 = 0; x0 < p->out_dims[last]; x0 += cols) {
        cols = p->out_dims[last] - x0 < DLK_RESIZE_TILE ? p->out_dims[last] - x0 : DLK_RESIZE_TILE;
        for (c = 0; c < cols; c++) {
            int outside = 0;
            col[c] = dlk_resize_nearest_index(p, last, x0 + c, &outside);
            if (outside)
                col[c] = -1;
        }
        dlk_resize_nearest_tile(p, (const unsigned char *)x, (unsigned char *)y, x0, cols, col);
    }
}
/*@end*/

/*@ dlk_resize_f32 : dlk_resize_coord */
/* Keys' cubic convolution weights for the taps at floor(x)-1 .. floor(x)+2,
 * s = x - floor(x). */
static void dlk_resize_cubic_coeffs(float s, float a, float *c)
{
    const float s1 = s + 1, s2 = 1 - s, s3 = 2 - s;
    c[0] = ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a;
    c[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
    c[2] = ((a + 2) * s2 - (a + 3)) * s2 * s2 + 1;
    c[3] = ((a * s3 - 5 * a) * s3 + 8 * a) * s3 - 4 * a;
}

/* Input indices and weights that output index x of axis a blends; returns
 * their count (1, 2 or 4), or 0 when it lies outside the input
 * (tf_crop_and_resize: the extrapolation value). */
static int dlk_resize_taps(const dlk_resize_params *p, int64_t a, int64_t x, int64_t *idx, float *w)
{
    const int64_t n = p->in_dims[a];
    float xo, sum = 0;
    int64_t base;
    int t;
    if (p->scales[a] == 1.0f) {
        idx[0] = x;
        w[0] = 1;
        return 1;
    }
    xo = dlk_resize_coord(p, a, x);
    if (dlk_resize_outside(p, a, xo))
        return 0;
    if (p->mode == DLK_RESIZE_LINEAR) {
        xo = xo < 0 ? 0 : (xo > (float)(n - 1) ? (float)(n - 1) : xo);
        idx[0] = (int64_t)xo;
        idx[1] = idx[0] + 1 < n ? idx[0] + 1 : n - 1;
        if (idx[1] == idx[0]) {
            w[0] = 1;
            return 1;
        }
        w[0] = fabsf(xo - (float)idx[1]);
        w[1] = fabsf(xo - (float)idx[0]);
        return 2;
    }
    base = (int64_t)floorf(xo);
    dlk_resize_cubic_coeffs(xo - (float)base, p->cubic_a, w);
    for (t = 0; t < 4; t++) {
        int64_t i = base - 1 + t;
        if (p->exclude_outside && (i < 0 || i >= n))
            w[t] = 0;
        sum += w[t];
        idx[t] = i < 0 ? 0 : (i > n - 1 ? n - 1 : i);
    }
    if (p->exclude_outside)
        for (t = 0; t < 4; t++)
            w[t] /= sum;
    return 4;
}

/* The input rows output row idx blends (corners over all axes but the last)
 * and their weights; returns their count, 0 when outside the input. */
static int dlk_resize_corners(const dlk_resize_params *p, const int64_t *idx, int64_t *corner, float *corner_w)
{
    int64_t k, tap[4];
    float w[4];
    int n_corners = 1, c, t, nt;
    corner[0] = 0;
    corner_w[0] = 1;
    for (k = 0; k < p->rank - 1; k++) {
        /* Each corner splits into one per tap; walk backwards so every
         * corner is read before its slots are overwritten. */
        nt = dlk_resize_taps(p, k, idx[k], tap, w);
        if (nt == 0)
            return 0;
        for (c = n_corners - 1; c >= 0; c--) {
            const int64_t base = corner[c] * p->in_dims[k];
            const float base_w = corner_w[c];
            for (t = nt - 1; t >= 0; t--) {
                corner[c * nt + t] = base + tap[t];
                corner_w[c * nt + t] = base_w * w[t];
            }
        }
        n_corners *= nt;
    }
    return n_corners;
}

/* Columns [x0, x0 + cols) of every output row; column c blends nt[c] taps
 * tap[c][t] with weights w[c][t] (nt[c] == 0: the extrapolation value). */
static void dlk_resize_f32_tile(const dlk_resize_params *p, const float *x, float *y, int64_t x0, int64_t cols,
                                int64_t (*tap)[4], float (*w)[4], const int *nt)
{
    const int64_t last = p->rank - 1, in_row = p->in_dims[last], out_row = p->out_dims[last];
    int64_t idx[DLK_MAX_RANK] = {0};
    int64_t rows = 1, r, k, c, corner[DLK_RESIZE_MAX_CORNERS];
    float corner_w[DLK_RESIZE_MAX_CORNERS];
    for (k = 0; k < last; k++)
        rows *= p->out_dims[k];
    for (r = 0; r < rows; r++) {
        float *dst = y + r * out_row + x0;
        const int n_corners = dlk_resize_corners(p, idx, corner, corner_w);
        int i, t;
        for (c = 0; c < cols; c++) {
            float acc = 0;
            if (n_corners == 0 || nt[c] == 0) {
                dst[c] = p->extrapolation_value;
                continue;
            }
            for (i = 0; i < n_corners; i++) {
                const float *row = x + corner[i] * in_row;
                float s = 0;
                for (t = 0; t < nt[c]; t++)
                    s += w[c][t] * row[tap[c][t]];
                acc += corner_w[i] * s;
            }
            dst[c] = acc;
        }
        for (k = last - 1; k >= 0; k--) {   /* next output row */
            if (++idx[k] < p->out_dims[k])
                break;
            idx[k] = 0;
        }
    }
}

/* Linear and cubic interpolation of float32 data. The last axis's taps are
 * computed once per tile of columns, not once per row. */
static void dlk_resize_f32(const dlk_resize_params *p, const float *x, float *y)
{
    const int64_t last = p->rank - 1;
    int64_t tap[DLK_RESIZE_TILE][4], x0, c, cols;
    float w[DLK_RESIZE_TILE][4];
    int nt[DLK_RESIZE_TILE];
    for (x0 = 0; x0 < p->out_dims[last]; x0 += cols) {
        cols = p->out_dims[last] - x0 < DLK_RESIZE_TILE ? p->out_dims[last] - x0 : DLK_RESIZE_TILE;
        for (c = 0; c < cols; c++)
            nt[c] = dlk_resize_taps(p, last, x0 + c, tap[c], w[c]);
        dlk_resize_f32_tile(p, x, y, x0, cols, tap, w, nt);
    }
}
/*@end*/

/*@ dlk_resize_aa_f32 : dlk_resize_coord */
/* Antialiased taps of axis a for output index x, as the ONNX reference
 * (op_resize.py, _linear/_cubic_coeffs_antialias): the filter is stretched
 * by 1/scale when downsampling, taps beyond the edge repeat it (or weigh 0
 * with exclude_outside) and the weights are normalised to sum to 1. An
 * exact source coordinate is taken as ratio 1 from the pixel on its left.
 * Returns the count, 0 when outside the input (the extrapolation value). */
static int dlk_resize_aa_taps(const dlk_resize_params *p, int64_t a, int64_t x, int64_t *idx, float *w)
{
    const int64_t n = p->in_dims[a];
    const double scale = p->scales[a] < 1.0f ? (double)p->scales[a] : 1.0, A = p->cubic_a;
    double xo, base, ratio, c[DLK_RESIZE_AA_MAX_TAPS], sum = 0;
    int64_t start;
    int t, count;
    if (p->scales[a] == 1.0f) {
        idx[0] = x;
        w[0] = 1;
        return 1;
    }
    xo = (double)dlk_resize_coord(p, a, x);
    if (dlk_resize_outside(p, a, (float)xo))
        return 0;
    base = floor(xo);
    ratio = xo - base;
    if (ratio == 0) {
        base -= 1;
        ratio = 1;
    }
    start = (int64_t)floor((p->mode == DLK_RESIZE_LINEAR ? -1.0 : -2.0) / scale) + 1;
    count = (int)(2 - 2 * start);
    for (t = 0; t < count; t++) {
        const double u = fabs(((double)(start + t) - ratio) * scale);
        const int64_t j = (int64_t)base + start + t;
        if (p->mode == DLK_RESIZE_LINEAR)
            c[t] = u < 1 ? 1 - u : 0;
        else if (u <= 1)
            c[t] = ((A + 2) * u - (A + 3)) * u * u + 1;
        else
            c[t] = u < 2 ? ((A * u - 5 * A) * u + 8 * A) * u - 4 * A : 0;
        if (p->exclude_outside && (j < 0 || j >= n))
            c[t] = 0;
        sum += c[t];
        idx[t] = j < 0 ? 0 : (j > n - 1 ? n - 1 : j);
    }
    for (t = 0; t < count; t++)
        w[t] = (float)(sum != 0 ? c[t] / sum : c[t]);
    return count;
}

/* The sum over every combination of the axes' taps of the weights' product
 * times the input element. */
static float dlk_resize_aa_blend(const dlk_resize_params *p, const float *x, int64_t (*idx)[DLK_RESIZE_AA_MAX_TAPS],
                                 float (*w)[DLK_RESIZE_AA_MAX_TAPS], const int *nt)
{
    int t[DLK_MAX_RANK] = {0};
    float acc = 0;
    int64_t a;
    for (a = 0; a < p->rank; a++)
        if (nt[a] == 0)
            return p->extrapolation_value;
    for (;;) {
        int64_t off = 0;
        float wt = 1;
        for (a = 0; a < p->rank; a++) {
            off = off * p->in_dims[a] + idx[a][t[a]];
            wt *= w[a][t[a]];
        }
        acc += wt * x[off];
        for (a = p->rank - 1; a >= 0; a--) {   /* next combination */
            if (++t[a] < nt[a])
                break;
            t[a] = 0;
        }
        if (a < 0)
            return acc;
    }
}

/* Antialiased linear and cubic interpolation of float32 data. Each axis's
 * taps are recomputed only when its output index changes. */
static void dlk_resize_aa_f32(const dlk_resize_params *p, const float *x, float *y)
{
    int64_t idx[DLK_MAX_RANK] = {0}, tap[DLK_MAX_RANK][DLK_RESIZE_AA_MAX_TAPS];
    float w[DLK_MAX_RANK][DLK_RESIZE_AA_MAX_TAPS];
    int nt[DLK_MAX_RANK];
    int64_t total = 1, o, a;
    for (a = 0; a < p->rank; a++) {
        total *= p->out_dims[a];
        nt[a] = dlk_resize_aa_taps(p, a, 0, tap[a], w[a]);
    }
    for (o = 0; o < total; o++) {
        y[o] = dlk_resize_aa_blend(p, x, tap, w, nt);
        for (a = p->rank - 1; a >= 0; a--) {   /* next output element */
            if (++idx[a] < p->out_dims[a]) {
                nt[a] = dlk_resize_aa_taps(p, a, idx[a], tap[a], w[a]);
                break;
            }
            idx[a] = 0;
            nt[a] = dlk_resize_aa_taps(p, a, 0, tap[a], w[a]);
        }
    }
}
/*@end*/

#endif
