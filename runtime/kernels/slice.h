/* Slice: an N-d strided gather, any element size. Each output axis starts
 * at an input index and advances by a (possibly negative) step. The compiler
 * resolves ONNX starts/ends/axes/steps into this form (dlk_slice_clamp) and
 * merges trailing whole axes so rows are copied with one memcpy. */
#ifndef DLK_SLICE_H
#define DLK_SLICE_H

#include "common.h"
#include "copy.h"

/* Compile-time only (outside any section, never emitted): ONNX Slice's
 * clamping (opset 13 text, same for 10..) of one axis of size dim. Negative
 * start/end count from the end; a positive step clamps both to [0, dim], a
 * negative one clamps start to [0, dim-1] and end to [-1, dim-1], so
 * INT64_MAX / INT64_MIN mean "to the end". step must be non-zero. Sets the
 * first input index and the element count along the axis. */
static void dlk_slice_clamp(int64_t dim, int64_t start, int64_t end, int64_t step,
                            int64_t *first, int64_t *count)
{
    if (dim <= 0) {     /* an empty axis: [0, dim-1] would be an empty range */
        *first = *count = 0;
        return;
    }
    if (start < 0)
        start += dim;
    if (end < 0)
        end += dim;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        *count = end > start ? (int64_t)((uint64_t)(end - start - 1) / (uint64_t)step) + 1 : 0;
    } else {
        /* -step overflows for INT64_MIN; negate in unsigned arithmetic. */
        uint64_t mag = (uint64_t)0 - (uint64_t)step;
        start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
        end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
        *count = start > end ? (int64_t)((uint64_t)(start - end - 1) / mag) + 1 : 0;
    }
    *first = *count > 0 ? start : 0;
}

/*@ dlk_slice_params : dlk_common */
typedef struct dlk_slice_params {
    int64_t rank;                   /* 0..DLK_MAX_RANK */
    int64_t elem_size;              /* bytes per element */
    int64_t in_dims[DLK_MAX_RANK];
    int64_t out_dims[DLK_MAX_RANK];
    int64_t starts[DLK_MAX_RANK];   /* first input index along each axis */
    int64_t steps[DLK_MAX_RANK];    /* non-zero; negative walks backwards */
} dlk_slice_params;
/*@end*/

/*@ dlk_slice : dlk_slice_params dlk_gather_row */
static void dlk_slice(const dlk_slice_params *p, const void *x, void *y)
{
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    int64_t r = p->rank, es = p->elem_size, last = p->rank - 1;
    int64_t step[DLK_MAX_RANK], idx[DLK_MAX_RANK];
    int64_t i, a, s, row, in_off = 0;

    if (r <= 0) {
        memcpy(dst, src, (size_t)es);
        return;
    }
    for (s = 1, i = last; i >= 0; i--) {
        if (p->out_dims[i] == 0)
            return;
        step[i] = p->steps[i] * s;   /* input elements per output step */
        in_off += p->starts[i] * s;
        idx[i] = 0;
        s *= p->in_dims[i];
    }
    row = p->out_dims[last] * es;
    for (;;) {
        dlk_gather_row(src + in_off * es, step[last], dst, p->out_dims[last], es);
        dst += row;
        /* Odometer over the outer output axes. */
        for (a = last - 1; a >= 0; a--) {
            if (++idx[a] < p->out_dims[a]) {
                in_off += step[a];
                break;
            }
            in_off -= step[a] * (p->out_dims[a] - 1);
            idx[a] = 0;
        }
        if (a < 0)
            break;
    }
}
/*@end*/

#endif
