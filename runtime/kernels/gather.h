/* Gather: slices of data along one axis, picked by an index tensor. Generic
 * in the element size: each picked slice is one memcpy. */
#ifndef DLK_GATHER_H
#define DLK_GATHER_H

#include "common.h"

/*@ dlk_gather_params */
typedef struct dlk_gather_params {
    int64_t outer;          /* product of the data dims before the axis */
    int64_t axis_dim;       /* the data dim along the axis */
    int64_t inner_bytes;    /* bytes of one slice: product of the later dims times the element size */
    int64_t n_indices;      /* element count of the indices */
} dlk_gather_params;
/*@end*/

/*@ dlk_gather_slice : dlk_gather_params */
/* Copy slice i of one outer block. Negative indices count from the end. An
 * index outside [-axis_dim, axis_dim) is an error in ONNX; generated code has
 * no error path, so it writes zeros rather than read outside the data. */
static void dlk_gather_slice(const dlk_gather_params *p, const unsigned char *block, int64_t i,
                             unsigned char *dst)
{
    if (i < 0)
        i += p->axis_dim;
    if (i < 0 || i >= p->axis_dim)
        memset(dst, 0, (size_t)p->inner_bytes);
    else
        memcpy(dst, block + i * p->inner_bytes, (size_t)p->inner_bytes);
}
/*@end*/

/*@ dlk_gather_i64 : dlk_gather_slice */
static void dlk_gather_i64(const dlk_gather_params *p, const void *data, const int64_t *indices, void *y)
{
    const unsigned char *in = (const unsigned char *)data;
    unsigned char *out = (unsigned char *)y;
    int64_t o, j;
    for (o = 0; o < p->outer; o++) {
        const unsigned char *block = in + o * p->axis_dim * p->inner_bytes;
        for (j = 0; j < p->n_indices; j++, out += p->inner_bytes)
            dlk_gather_slice(p, block, indices[j], out);
    }
}
/*@end*/

/*@ dlk_gather_i32 : dlk_gather_slice */
static void dlk_gather_i32(const dlk_gather_params *p, const void *data, const int32_t *indices, void *y)
{
    const unsigned char *in = (const unsigned char *)data;
    unsigned char *out = (unsigned char *)y;
    int64_t o, j;
    for (o = 0; o < p->outer; o++) {
        const unsigned char *block = in + o * p->axis_dim * p->inner_bytes;
        for (j = 0; j < p->n_indices; j++, out += p->inner_bytes)
            dlk_gather_slice(p, block, indices[j], out);
    }
}
/*@end*/

#endif
