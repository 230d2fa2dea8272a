/* GridSample (any number of spatial axes; nearest, linear and cubic;
 * zeros, border and reflection padding) and AffineGrid (2-D and 3-D).
 * Coordinates follow the ONNX reference (onnx/reference/ops/op_grid_sample.py,
 * itself PyTorch's GridSampler.h): float32 arithmetic, nearest rounds halves
 * to even, a tap outside the input reads 0 (zeros), the nearest edge
 * (border) or its mirror image (reflection). */
#ifndef DLK_SAMPLE_H
#define DLK_SAMPLE_H

#include "common.h"

/*@ dlk_grid_sample_params : dlk_common */
#define DLK_GS_NEAREST 0
#define DLK_GS_LINEAR 1
#define DLK_GS_CUBIC 2

#define DLK_GS_ZEROS 0
#define DLK_GS_BORDER 1
#define DLK_GS_REFLECTION 2

typedef struct dlk_grid_sample_params {
    int64_t n, c;
    int64_t r;                          /* spatial axes, 1 .. DLK_MAX_RANK - 2 */
    int64_t in_dims[DLK_MAX_RANK];      /* X's spatial dims */
    int64_t out_dims[DLK_MAX_RANK];     /* Y's (and the grid's) spatial dims */
    int64_t mode;                       /* DLK_GS_NEAREST, _LINEAR, _CUBIC */
    int64_t padding;                    /* DLK_GS_ZEROS, _BORDER, _REFLECTION */
    int64_t align_corners;
} dlk_grid_sample_params;
/*@end*/

/*@ dlk_grid_sample_f32 : dlk_grid_sample_params */
/* Mirror x at lo and hi until it lies between them. */
static float dlk_gs_reflect(float x, float lo, float hi)
{
    const float range = hi - lo;
    float dx, r;
    int64_t k;
    if (!(range > 0))
        return lo;   /* an axis of length 1 with align_corners */
    if (x < lo) {
        dx = lo - x;
        k = (int64_t)(dx / range);
        r = dx - (float)k * range;
        return k % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        dx = x - hi;
        k = (int64_t)(dx / range);
        r = dx - (float)k * range;
        return k % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

/* The input index that tap i of an axis of length len reads, or -1 for 0. */
static int64_t dlk_gs_index(const dlk_grid_sample_params *p, int64_t i, int64_t len, float lo, float hi)
{
    if (p->padding == DLK_GS_ZEROS)
        return i >= 0 && i < len ? i : -1;
    if (p->padding == DLK_GS_BORDER)
        return i < 0 ? 0 : (i > len - 1 ? len - 1 : i);
    i = (int64_t)dlk_gs_reflect((float)i, lo, hi);
    return i < 0 ? 0 : (i > len - 1 ? len - 1 : i);   /* guards rounding only */
}

/* Keys' cubic weights (a = -0.75) for the taps at floor(x)-1 .. floor(x)+2,
 * s = x - floor(x). */
static void dlk_gs_cubic(float s, float *w)
{
    const float a = -0.75f, s1 = s + 1, s2 = 1 - s, s3 = 2 - s;
    w[0] = ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a;
    w[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
    w[2] = ((a + 2) * s2 - (a + 3)) * s2 * s2 + 1;
    w[3] = ((a * s3 - 5 * a) * s3 + 8 * a) * s3 - 4 * a;
}

/* Taps of spatial axis a for normalised coordinate g: their count (1, 2 or
 * 4), input indices (-1: reads 0) and weights. */
static int dlk_gs_taps(const dlk_grid_sample_params *p, int64_t a, float g, int64_t *idx, float *w)
{
    const int64_t len = p->in_dims[a];
    const float lo = p->align_corners ? 0.0f : -0.5f;
    const float hi = p->align_corners ? (float)(len - 1) : (float)len - 0.5f;
    float x = p->align_corners ? (g + 1) / 2.0f * (float)(len - 1) : ((g + 1) * (float)len - 1) / 2.0f;
    int64_t base;
    int t, nt;
    if (p->mode == DLK_GS_NEAREST)
        x = rintf(x);   /* halves to even, as PyTorch */
    if (x < lo || x > hi) {
        if (p->padding == DLK_GS_BORDER)
            x = x < 0 ? 0.0f : (x > (float)(len - 1) ? (float)(len - 1) : x);
        else if (p->padding == DLK_GS_REFLECTION)
            x = dlk_gs_reflect(x, lo, hi);
    }
    if (p->mode == DLK_GS_NEAREST) {
        idx[0] = dlk_gs_index(p, (int64_t)x, len, lo, hi);
        w[0] = 1;
        return 1;
    }
    base = (int64_t)floorf(x);
    if (p->mode == DLK_GS_LINEAR) {
        w[0] = 1 - (x - (float)base);
        w[1] = x - (float)base;
        nt = 2;
    } else {
        dlk_gs_cubic(x - (float)base, w);
        base -= 1;
        nt = 4;
    }
    for (t = 0; t < nt; t++)
        idx[t] = dlk_gs_index(p, base + t, len, lo, hi);
    return nt;
}

/* The sum over every combination of the axes' taps of the weights' product
 * times the input element (combinations with a zero tap add nothing). */
static float dlk_gs_blend(const dlk_grid_sample_params *p, const float *x, int64_t (*idx)[4], float (*w)[4],
                          const int *nt)
{
    int t[DLK_MAX_RANK] = {0};
    float acc = 0;
    int64_t a;
    for (;;) {
        int64_t off = 0;
        float wt = 1;
        for (a = 0; a < p->r; a++) {
            const int64_t i = idx[a][t[a]];
            if (i < 0)
                break;
            off = off * p->in_dims[a] + i;
            wt *= w[a][t[a]];
        }
        if (a == p->r)
            acc += wt * x[off];
        for (a = p->r - 1; a >= 0; a--) {   /* next combination */
            if (++t[a] < nt[a])
                break;
            t[a] = 0;
        }
        if (a < 0)
            return acc;
    }
}

/* X (N, C, in_dims...), grid (N, out_dims..., r) with the last axis's
 * coordinate first, Y (N, C, out_dims...). */
static void dlk_grid_sample_f32(const dlk_grid_sample_params *p, const float *x, const float *grid, float *y)
{
    int64_t in_size = 1, out_size = 1, n, c, o, a;
    int64_t idx[DLK_MAX_RANK][4];
    float w[DLK_MAX_RANK][4];
    int nt[DLK_MAX_RANK];
    for (a = 0; a < p->r; a++) {
        in_size *= p->in_dims[a];
        out_size *= p->out_dims[a];
    }
    for (n = 0; n < p->n; n++) {
        for (o = 0; o < out_size; o++) {
            const float *g = grid + (n * out_size + o) * p->r;
            for (a = 0; a < p->r; a++)
                nt[a] = dlk_gs_taps(p, a, g[p->r - 1 - a], idx[a], w[a]);
            for (c = 0; c < p->c; c++)
                y[(n * p->c + c) * out_size + o] = dlk_gs_blend(p, x + (n * p->c + c) * in_size, idx, w, nt);
        }
    }
}
/*@end*/

/*@ dlk_affine_grid_params : dlk_common */
typedef struct dlk_affine_grid_params {
    int64_t n;
    int64_t r;              /* 2 (theta N x 2 x 3) or 3 (N x 3 x 4) */
    int64_t dims[3];        /* H, W or D, H, W */
    int64_t align_corners;
} dlk_affine_grid_params;
/*@end*/

/*@ dlk_affine_grid_f32 : dlk_affine_grid_params */
/* The normalised coordinate of index i of an axis of length len: the
 * centres of len cells spanning [-1, 1], or the corners when aligned. */
static double dlk_affine_base(int64_t i, int64_t len, int64_t align_corners)
{
    if (align_corners)
        return len > 1 ? -1.0 + (double)i * 2.0 / (double)(len - 1) : -1.0;
    return -1.0 + (2.0 * (double)i + 1.0) / (double)len;
}

/* grid[n, pos..., k] = theta[n, k, :] . (x, y, [z,] 1), where x runs along
 * the last axis; computed in double and rounded once, as the reference. */
static void dlk_affine_grid_f32(const dlk_affine_grid_params *p, const float *theta, float *grid)
{
    const int64_t r = p->r, cols = r + 1;
    int64_t total = 1, n, o, k, j, a;
    for (a = 0; a < r; a++)
        total *= p->dims[a];
    for (n = 0; n < p->n; n++) {
        const float *t = theta + n * r * cols;
        for (o = 0; o < total; o++) {
            double base[4];
            int64_t rest = o;
            for (a = r - 1; a >= 0; a--) {   /* base[0] is the last axis (x) */
                base[r - 1 - a] = dlk_affine_base(rest % p->dims[a], p->dims[a], p->align_corners);
                rest /= p->dims[a];
            }
            base[r] = 1.0;
            for (k = 0; k < r; k++) {
                double s = 0;
                for (j = 0; j < cols; j++)
                    s += (double)t[k * cols + j] * base[j];
                grid[(n * total + o) * r + k] = (float)s;
            }
        }
    }
}
/*@end*/

#endif
