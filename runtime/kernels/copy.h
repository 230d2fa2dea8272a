/* Byte copies shared by the data-movement kernels (reshape, transpose,
 * concat, split, slice). Element type is only a size here: these kernels
 * serve every dtype (float32, int64, bool, ...) with one source. */
#ifndef DLK_COPY_H
#define DLK_COPY_H

#include "common.h"

/*@ dlk_copy */
/* A reshape-like op the memory planner could not turn into a view. */
static void dlk_copy(const void *src, void *dst, size_t bytes)
{
    if (bytes > 0 && src != dst)
        memcpy(dst, src, bytes);
}
/*@end*/

/*@ dlk_gather_row : dlk_common */
/* y[i] = x[i * stride] for i < n, elements of es bytes; stride counts
 * elements and may be negative (Slice with a negative step) or zero.
 * memcpy with a constant size compiles to one load and store, and stays
 * correct for any alignment and without type punning. */
static void dlk_gather_row(const unsigned char *x, int64_t stride, unsigned char *y,
                           int64_t n, int64_t es)
{
    int64_t i;
    if (stride == 1) {
        memcpy(y, x, (size_t)(n * es));
        return;
    }
    switch (es) {
    case 1:
        for (i = 0; i < n; i++)
            y[i] = x[(ptrdiff_t)(i * stride)];
        break;
    case 2:
        for (i = 0; i < n; i++)
            memcpy(y + 2 * i, x + (ptrdiff_t)(2 * i * stride), 2);
        break;
    case 4:
        for (i = 0; i < n; i++)
            memcpy(y + 4 * i, x + (ptrdiff_t)(4 * i * stride), 4);
        break;
    case 8:
        for (i = 0; i < n; i++)
            memcpy(y + 8 * i, x + (ptrdiff_t)(8 * i * stride), 8);
        break;
    default:
        for (i = 0; i < n; i++)
            memcpy(y + es * i, x + (ptrdiff_t)(es * i * stride), (size_t)es);
        break;
    }
}
/*@end*/

#endif
