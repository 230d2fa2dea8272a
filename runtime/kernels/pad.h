/* Pad: constant, reflect, edge and wrap padding of an N-d tensor, generic in
 * the element size (the kernels only move bytes). Negative pads crop. */
#ifndef DLK_PAD_H
#define DLK_PAD_H

#include "common.h"

/*@ dlk_pad_params : dlk_common */
#define DLK_PAD_CONSTANT 0
#define DLK_PAD_REFLECT 1
#define DLK_PAD_EDGE 2
#define DLK_PAD_WRAP 3

typedef struct dlk_pad_params {
    int64_t rank;                       /* >= 1 */
    int64_t elem_size;                  /* bytes per element */
    int64_t mode;                       /* DLK_PAD_CONSTANT, _REFLECT, _EDGE or _WRAP */
    int64_t in_dims[DLK_MAX_RANK];
    int64_t out_dims[DLK_MAX_RANK];
    int64_t pads_begin[DLK_MAX_RANK];   /* elements added before each axis; negative crops */
    int64_t value_from_params;          /* 1: the constant is value_f32 (an opset < 11 `value` attribute) */
    float value_f32;
} dlk_pad_params;
/*@end*/

/*@ dlk_pad_source : dlk_pad_params */
/* The input index that shifted output index i reads along an axis of n > 0
 * elements, or -1 where the constant goes. */
static int64_t dlk_pad_source(int64_t mode, int64_t i, int64_t n)
{
    int64_t period;
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case DLK_PAD_REFLECT:
        /* Mirror without repeating the edge (numpy "reflect"): the pattern
         * repeats every 2(n-1) elements, which also covers pads >= n. */
        period = 2 * (n - 1);
        if (period == 0)
            return 0;
        i %= period;
        if (i < 0)
            i += period;
        return i < n ? i : period - i;
    case DLK_PAD_EDGE:
        return i < 0 ? 0 : n - 1;
    case DLK_PAD_WRAP:
        i %= n;
        return i < 0 ? i + n : i;
    default:
        return -1;
    }
}
/*@end*/

/*@ dlk_pad : dlk_pad_source */
/* count copies of the constant (NULL: zero bytes). */
static void dlk_pad_fill(unsigned char *dst, const void *fill, int64_t elem_size, int64_t count)
{
    int64_t i;
    if (fill == NULL) {
        memset(dst, 0, (size_t)(count * elem_size));
        return;
    }
    for (i = 0; i < count; i++)
        memcpy(dst + i * elem_size, fill, (size_t)elem_size);
}

/* The element at shifted index i of the last axis, read from input row src. */
static void dlk_pad_element(const dlk_pad_params *p, const unsigned char *src, int64_t i,
                            const void *fill, unsigned char *dst)
{
    const int64_t es = p->elem_size;
    const int64_t s = dlk_pad_source(p->mode, i, p->in_dims[p->rank - 1]);
    if (s < 0)
        dlk_pad_fill(dst, fill, es, 1);
    else
        memcpy(dst, src + s * es, (size_t)es);
}

/* One output row along the last axis: padding, the copied middle, padding. */
static void dlk_pad_row(const dlk_pad_params *p, const unsigned char *src, const void *fill,
                        unsigned char *dst)
{
    const int64_t es = p->elem_size, last = p->rank - 1;
    const int64_t n = p->in_dims[last], m = p->out_dims[last], b = p->pads_begin[last];
    int64_t lo = b < 0 ? 0 : (b > m ? m : b);    /* first output that reads the input */
    int64_t hi = b + n > m ? m : b + n;          /* first output past it */
    int64_t o;
    if (hi < lo)
        hi = lo;
    for (o = 0; o < lo; o++)
        dlk_pad_element(p, src, o - b, fill, dst + o * es);
    if (hi > lo)
        memcpy(dst + lo * es, src + (lo - b) * es, (size_t)((hi - lo) * es));
    for (o = hi; o < m; o++)
        dlk_pad_element(p, src, o - b, fill, dst + o * es);
}

/* value: one element, the constant of DLK_PAD_CONSTANT (NULL: zero), unless
 * p->value_from_params says it is p->value_f32. */
static void dlk_pad(const dlk_pad_params *p, const void *x, const void *value, void *y)
{
    const unsigned char *in = (const unsigned char *)x;
    unsigned char *out = (unsigned char *)y;
    const void *fill = p->value_from_params ? (const void *)&p->value_f32 : value;
    const int64_t last = p->rank - 1;
    const int64_t in_row = p->in_dims[last] * p->elem_size;
    const int64_t out_row = p->out_dims[last] * p->elem_size;
    int64_t idx[DLK_MAX_RANK] = {0};
    int64_t rows = 1, r, k;
    for (k = 0; k < last; k++)
        rows *= p->out_dims[k];
    for (r = 0; r < rows; r++) {
        int64_t src = 0;
        int inside = 1;
        for (k = 0; k < last && inside; k++) {
            int64_t s = dlk_pad_source(p->mode, idx[k] - p->pads_begin[k], p->in_dims[k]);
            inside = s >= 0;
            src = src * p->in_dims[k] + s;
        }
        if (inside)
            dlk_pad_row(p, in + src * in_row, fill, out + r * out_row);
        else
            dlk_pad_fill(out + r * out_row, fill, p->elem_size, p->out_dims[last]);
        for (k = last - 1; k >= 0; k--) {   /* next output row */
            if (++idx[k] < p->out_dims[k])
                break;
            idx[k] = 0;
        }
    }
}
/*@end*/

#endif
