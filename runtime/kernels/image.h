/* Image rearrangements: CenterCropPad (any element type), Col2Im (N-D),
 * DeformConv (2-D, bilinear samples at learned offsets, optional mask) and
 * MaxUnpool (any element type), following the ONNX reference operators. */
#ifndef DLK_IMAGE_H
#define DLK_IMAGE_H

#include "common.h"

/*@ dlk_crop_pad_params : dlk_common */
typedef struct dlk_crop_pad_params {
    int64_t rank;                   /* >= 1 */
    int64_t elem_size;              /* bytes per element */
    int64_t in_dims[DLK_MAX_RANK];
    int64_t out_dims[DLK_MAX_RANK];
    int64_t shift[DLK_MAX_RANK];    /* input index = output index + shift */
} dlk_crop_pad_params;
/*@end*/

/*@ dlk_crop_pad : dlk_crop_pad_params */
/* The input row (all axes but the last) output row idx reads, or -1 for zeros. */
static int64_t dlk_crop_pad_row(const dlk_crop_pad_params *p, const int64_t *idx)
{
    int64_t a, row = 0;
    for (a = 0; a < p->rank - 1; a++) {
        const int64_t i = idx[a] + p->shift[a];
        if (i < 0 || i >= p->in_dims[a])
            return -1;
        row = row * p->in_dims[a] + i;
    }
    return row;
}

/* Y is X's centre window: cropped where Y is smaller, padded with zeros
 * where it is larger. Copies one run of the last axis per row. */
static void dlk_crop_pad(const dlk_crop_pad_params *p, const void *x, void *y)
{
    const int64_t last = p->rank - 1, es = p->elem_size;
    const int64_t in_w = p->in_dims[last], out_w = p->out_dims[last], sh = p->shift[last];
    const int64_t c0 = sh < 0 ? -sh : 0;                            /* first output column with input */
    const int64_t c1 = in_w - sh < out_w ? in_w - sh : out_w;       /* one past the last */
    int64_t idx[DLK_MAX_RANK] = {0};
    int64_t rows = 1, r, a;
    for (a = 0; a < last; a++)
        rows *= p->out_dims[a];
    for (r = 0; r < rows; r++) {
        unsigned char *dst = (unsigned char *)y + r * out_w * es;
        const int64_t src = dlk_crop_pad_row(p, idx);
        memset(dst, 0, (size_t)(out_w * es));
        if (src >= 0 && c1 > c0)
            memcpy(dst + c0 * es, (const unsigned char *)x + (src * in_w + c0 + sh) * es, (size_t)((c1 - c0) * es));
        for (a = last - 1; a >= 0; a--) {   /* next output row */
            if (++idx[a] < p->out_dims[a])
                break;
            idx[a] = 0;
        }
    }
}
/*@end*/

/*@ dlk_col2im_params : dlk_common */
typedef struct dlk_col2im_params {
    int64_t n, c;
    int64_t r;                          /* spatial axes */
    int64_t image[DLK_MAX_RANK];        /* output spatial dims */
    int64_t block[DLK_MAX_RANK];        /* kernel dims */
    int64_t cols[DLK_MAX_RANK];         /* sliding positions per axis */
    int64_t dilations[DLK_MAX_RANK];
    int64_t pads[2 * DLK_MAX_RANK];     /* begins, then ends */
    int64_t strides[DLK_MAX_RANK];
} dlk_col2im_params;
/*@end*/

/*@ dlk_col2im_f32 : dlk_col2im_params */
/* The image offset kernel tap k (flat over block) at column position l
 * (flat over cols) adds to, or -1 when it falls in the padding. */
static int64_t dlk_col2im_target(const dlk_col2im_params *p, int64_t k, int64_t l)
{
    int64_t pos[DLK_MAX_RANK], a, off = 0;
    for (a = p->r - 1; a >= 0; a--) {
        const int64_t kk = k % p->block[a], ll = l % p->cols[a];
        pos[a] = ll * p->strides[a] - p->pads[a] + kk * p->dilations[a];
        k /= p->block[a];
        l /= p->cols[a];
    }
    for (a = 0; a < p->r; a++) {
        if (pos[a] < 0 || pos[a] >= p->image[a])
            return -1;
        off = off * p->image[a] + pos[a];
    }
    return off;
}

/* X (n, c * prod(block), prod(cols)) summed into Y (n, c, image...). */
static void dlk_col2im_f32(const dlk_col2im_params *p, const float *x, float *y)
{
    int64_t image = 1, block = 1, cols = 1, a, b, k, l;
    for (a = 0; a < p->r; a++) {
        image *= p->image[a];
        block *= p->block[a];
        cols *= p->cols[a];
    }
    memset(y, 0, (size_t)(p->n * p->c * image) * sizeof(float));
    for (k = 0; k < block; k++)
        for (l = 0; l < cols; l++) {
            const int64_t t = dlk_col2im_target(p, k, l);
            if (t < 0)
                continue;
            for (b = 0; b < p->n * p->c; b++)
                y[b * image + t] += x[(b * block + k) * cols + l];
        }
}
/*@end*/

/*@ dlk_deform_conv_params : dlk_common */
typedef struct dlk_deform_conv_params {
    int64_t n, c, h, w;             /* X */
    int64_t oc, oh, ow;             /* Y */
    int64_t kh, kw;
    int64_t group, offset_group;
    int64_t pads[4];                /* top, left, bottom, right */
    int64_t strides[2];
    int64_t dilations[2];
} dlk_deform_conv_params;
/*@end*/

/*@ dlk_deform_conv_f32 : dlk_deform_conv_params */
/* Bilinear sample of one channel at (y, x); taps outside read 0. */
static float dlk_deform_sample(const dlk_deform_conv_params *p, const float *plane, float y, float x)
{
    const float fy = floorf(y), fx = floorf(x);
    const int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
    const float ly = y - fy, lx = x - fx;
    float v = 0;
    int dy, dx;
    for (dy = 0; dy < 2; dy++)
        for (dx = 0; dx < 2; dx++) {
            const int64_t yy = y0 + dy, xx = x0 + dx;
            if (yy >= 0 && yy < p->h && xx >= 0 && xx < p->w)
                v += (dy ? ly : 1 - ly) * (dx ? lx : 1 - lx) * plane[yy * p->w + xx];
        }
    return v;
}

/* One output element: the sum over the group's input channels and the
 * kernel taps of weight * mask * X sampled at the tap's offset position. */
static float dlk_deform_point(const dlk_deform_conv_params *p, const float *x, const float *wt, const float *off,
                              const float *mask, int64_t b, int64_t o, int64_t i, int64_t j)
{
    const int64_t icg = p->c / p->group, ocg = p->oc / p->group, icog = p->c / p->offset_group;
    const int64_t taps = p->kh * p->kw, plane = p->oh * p->ow, g = o / ocg;
    int64_t ci, t;
    float acc = 0;
    for (ci = 0; ci < icg; ci++) {
        const int64_t ic = g * icg + ci, og = ic / icog;
        const float *xp = x + (b * p->c + ic) * p->h * p->w;
        const float *op = off + (b * p->offset_group + og) * taps * 2 * plane + i * p->ow + j;
        for (t = 0; t < taps; t++) {
            const float y = (float)(i * p->strides[0] - p->pads[0] + (t / p->kw) * p->dilations[0]) + op[2 * t * plane];
            const float xx = (float)(j * p->strides[1] - p->pads[1] + (t % p->kw) * p->dilations[1]) +
                             op[(2 * t + 1) * plane];
            float v = wt[(o * icg + ci) * taps + t] * dlk_deform_sample(p, xp, y, xx);
            if (mask != NULL)
                v *= mask[((b * p->offset_group + og) * taps + t) * plane + i * p->ow + j];
            acc += v;
        }
    }
    return acc;
}

/* X (n, c, h, w), W (oc, c / group, kh, kw), offset (n, offset_group * kh *
 * kw * 2, oh, ow) as (dy, dx) pairs, bias (oc) or NULL, mask (n,
 * offset_group * kh * kw, oh, ow) or NULL, Y (n, oc, oh, ow). */
static void dlk_deform_conv_f32(const dlk_deform_conv_params *p, const float *x, const float *wt, const float *off,
                                const float *bias, const float *mask, float *y)
{
    int64_t b, o, i, j;
    for (b = 0; b < p->n; b++)
        for (o = 0; o < p->oc; o++)
            for (i = 0; i < p->oh; i++)
                for (j = 0; j < p->ow; j++)
                    y[((b * p->oc + o) * p->oh + i) * p->ow + j] =
                        (bias != NULL ? bias[o] : 0.0f) + dlk_deform_point(p, x, wt, off, mask, b, o, i, j);
}
/*@end*/

/*@ dlk_max_unpool_params : dlk_common */
typedef struct dlk_max_unpool_params {
    int64_t rank;
    int64_t elem_size;
    int64_t count;                      /* elements of X (and of the indices) */
    int64_t pooled[DLK_MAX_RANK];       /* the shape the indices count in */
    int64_t out_dims[DLK_MAX_RANK];     /* Y: pooled, or the larger output_shape */
} dlk_max_unpool_params;
/*@end*/

/*@ dlk_max_unpool : dlk_max_unpool_params */
/* Y is zero but for X[k] at flat index I[k] of the pooled shape, placed at
 * the same coordinates of Y. Indices outside the pooled shape are skipped. */
static void dlk_max_unpool(const dlk_max_unpool_params *p, const void *x, const int64_t *ind, void *y)
{
    int64_t total = 1, pooled = 1, k, a;
    for (a = 0; a < p->rank; a++) {
        total *= p->out_dims[a];
        pooled *= p->pooled[a];
    }
    memset(y, 0, (size_t)(total * p->elem_size));
    for (k = 0; k < p->count; k++) {
        int64_t rest = ind[k], off = 0, stride = 1;
        if (rest < 0 || rest >= pooled)
            continue;
        for (a = p->rank - 1; a >= 0; a--) {
            off += (rest % p->pooled[a]) * stride;
            rest /= p->pooled[a];
            stride *= p->out_dims[a];
        }
        memcpy((unsigned char *)y + off * p->elem_size, (const unsigned char *)x + k * p->elem_size,
               (size_t)p->elem_size);
    }
}
/*@end*/

#endif
