/* Index-driven data movement: GatherElements, GatherND, ScatterElements,
 * ScatterND and OneHot. Element data is copied as bytes, so any type works;
 * index tensors and reductions take the ONNX data type code (1 float32,
 * 6 int32, 7 int64, 11 float64, ...). Out-of-range indices are errors in
 * ONNX; generated code has no error path, so gathers write zeros and
 * scatters skip the update rather than touch memory outside the tensor. */
#ifndef DLK_SCATTER_H
#define DLK_SCATTER_H

#include "common.h"

/*@ dlk_read_index */
/* Element i of an index tensor of ONNX type `dtype`, as int64 (floats truncate). */
static int64_t dlk_read_index(const void *x, int64_t i, int64_t dtype)
{
    switch (dtype) {
    case 1: return (int64_t)((const float *)x)[i];
    case 2: return (int64_t)((const uint8_t *)x)[i];
    case 3: return (int64_t)((const int8_t *)x)[i];
    case 4: return (int64_t)((const uint16_t *)x)[i];
    case 5: return (int64_t)((const int16_t *)x)[i];
    case 6: return (int64_t)((const int32_t *)x)[i];
    case 11: return (int64_t)((const double *)x)[i];
    case 12: return (int64_t)((const uint32_t *)x)[i];
    case 13: return (int64_t)((const uint64_t *)x)[i];
    default: return ((const int64_t *)x)[i];
    }
}
/*@end*/

/*@ dlk_scatter_combine */
/* dst[di + t] = dst[di + t] (reduction) src[si + t] for t < n. reduction:
 * 0 none, 1 add, 2 mul, 3 max, 4 min. */
#define DLK_SC_LOOP(T, OP)                                                                  \
    do {                                                                                    \
        T *d_ = (T *)dst + di;                                                              \
        const T *s_ = (const T *)src + si;                                                  \
        for (t = 0; t < n; t++) {                                                           \
            const T a_ = d_[t], b_ = s_[t];                                                 \
            (void)a_;                                                                       \
            d_[t] = (T)(OP);                                                                \
        }                                                                                   \
    } while (0)
#define DLK_SC_TYPE(T)                                                                      \
    switch (reduction) {                                                                    \
    case 1: DLK_SC_LOOP(T, a_ + b_); break;                                                 \
    case 2: DLK_SC_LOOP(T, a_ * b_); break;                                                 \
    case 3: DLK_SC_LOOP(T, a_ > b_ ? a_ : b_); break;                                       \
    default: DLK_SC_LOOP(T, a_ < b_ ? a_ : b_); break;                                      \
    }
static void dlk_scatter_combine(void *dst, int64_t di, const void *src, int64_t si, int64_t n, int64_t dtype,
                                int64_t reduction, int64_t elem_size)
{
    int64_t t;
    if (reduction == 0) {
        memcpy((unsigned char *)dst + di * elem_size, (const unsigned char *)src + si * elem_size,
               (size_t)(n * elem_size));
        return;
    }
    switch (dtype) {
    case 1: DLK_SC_TYPE(float) break;
    case 2: DLK_SC_TYPE(uint8_t) break;
    case 3: DLK_SC_TYPE(int8_t) break;
    case 4: DLK_SC_TYPE(uint16_t) break;
    case 5: DLK_SC_TYPE(int16_t) break;
    case 6: DLK_SC_TYPE(int32_t) break;
    case 7: DLK_SC_TYPE(int64_t) break;
    case 11: DLK_SC_TYPE(double) break;
    case 12: DLK_SC_TYPE(uint32_t) break;
    case 13: DLK_SC_TYPE(uint64_t) break;
    default: break;
    }
}
#undef DLK_SC_TYPE
#undef DLK_SC_LOOP
/*@end*/

/*@ dlk_elements_params : dlk_common */
/* GatherElements / ScatterElements: `dims` is the indices' shape (= the
 * output's for a gather, the updates' for a scatter), data_dims the data's. */
typedef struct dlk_elements_params {
    int64_t rank, axis;
    int64_t dims[DLK_MAX_RANK];
    int64_t data_dims[DLK_MAX_RANK];
    int64_t elem_size;
    int64_t idx_dtype;
    int64_t dtype;          /* the data's, for reductions */
    int64_t reduction;      /* see dlk_scatter_combine */
} dlk_elements_params;
/*@end*/

/*@ dlk_elements_offset : dlk_elements_params dlk_read_index */
/* For element j of the indices (whose coordinate is coord), the element
 * offset in data, or -1 when the index is out of range. */
static int64_t dlk_elements_offset(const dlk_elements_params *p, const int64_t *coord, const void *indices,
                                   int64_t j)
{
    int64_t d, off = 0, stride = 1;
    for (d = p->rank - 1; d >= 0; d--) {
        int64_t c = coord[d];
        if (d == p->axis) {
            c = dlk_read_index(indices, j, p->idx_dtype);
            if (c < 0)
                c += p->data_dims[d];
            if (c < 0 || c >= p->data_dims[d])
                return -1;
        }
        off += c * stride;
        stride *= p->data_dims[d];
    }
    return off;
}
/*@end*/

/*@ dlk_elements_next : dlk_elements_params */
static void dlk_elements_next(const dlk_elements_params *p, int64_t *coord)
{
    int64_t d;
    for (d = p->rank - 1; d >= 0; d--) {
        if (++coord[d] < p->dims[d])
            return;
        coord[d] = 0;
    }
}
/*@end*/

/*@ dlk_gather_elements : dlk_elements_offset dlk_elements_next */
static void dlk_gather_elements(const dlk_elements_params *p, const void *data, const void *indices, void *y)
{
    const unsigned char *in = (const unsigned char *)data;
    unsigned char *out = (unsigned char *)y;
    const size_t es = (size_t)p->elem_size;
    int64_t coord[DLK_MAX_RANK], total = 1, j, d;
    for (d = 0; d < p->rank; d++) {
        coord[d] = 0;
        total *= p->dims[d];
    }
    for (j = 0; j < total; j++) {
        const int64_t off = dlk_elements_offset(p, coord, indices, j);
        if (off < 0)
            memset(out + j * (int64_t)es, 0, es);
        else
            memcpy(out + j * (int64_t)es, in + off * (int64_t)es, es);
        dlk_elements_next(p, coord);
    }
}
/*@end*/

/*@ dlk_scatter_elements : dlk_elements_offset dlk_elements_next dlk_scatter_combine */
/* y = data, then each update lands (or reduces) where its index points.
 * data_bytes is the size of data and y (memmove: they may be the same). */
static void dlk_scatter_elements(const dlk_elements_params *p, const void *data, const void *indices,
                                 const void *updates, void *y, int64_t data_bytes)
{
    int64_t coord[DLK_MAX_RANK], total = 1, j, d;
    memmove(y, data, (size_t)data_bytes);
    for (d = 0; d < p->rank; d++) {
        coord[d] = 0;
        total *= p->dims[d];
    }
    for (j = 0; j < total; j++) {
        const int64_t off = dlk_elements_offset(p, coord, indices, j);
        if (off >= 0)
            dlk_scatter_combine(y, off, updates, j, 1, p->dtype, p->reduction, p->elem_size);
        dlk_elements_next(p, coord);
    }
}
/*@end*/

/*@ dlk_nd_params : dlk_common */
/* GatherND / ScatterND. Index tuples of length m address the data dims
 * batch_dims .. batch_dims+m-1; each picks a slice of slice_elems elements. */
typedef struct dlk_nd_params {
    int64_t batch;          /* product of the first batch_dims data dims (1 for ScatterND) */
    int64_t per_batch;      /* index tuples per batch */
    int64_t m;              /* tuple length (the indices' last dim) */
    int64_t dims[DLK_MAX_RANK];     /* data dims batch_dims .. batch_dims+m-1 */
    int64_t strides[DLK_MAX_RANK];  /* their element strides in data */
    int64_t batch_elems;    /* data elements per batch */
    int64_t slice_elems;
    int64_t elem_size;
    int64_t idx_dtype;
    int64_t dtype;
    int64_t reduction;
} dlk_nd_params;
/*@end*/

/*@ dlk_nd_offset : dlk_nd_params dlk_read_index */
/* Element offset within one batch of the slice tuple t picks; -1 if out of range. */
static int64_t dlk_nd_offset(const dlk_nd_params *p, const void *indices, int64_t t)
{
    int64_t k, off = 0;
    for (k = 0; k < p->m; k++) {
        int64_t c = dlk_read_index(indices, t * p->m + k, p->idx_dtype);
        if (c < 0)
            c += p->dims[k];
        if (c < 0 || c >= p->dims[k])
            return -1;
        off += c * p->strides[k];
    }
    return off;
}
/*@end*/

/*@ dlk_gathernd : dlk_nd_offset */
static void dlk_gathernd(const dlk_nd_params *p, const void *data, const void *indices, void *y)
{
    const unsigned char *in = (const unsigned char *)data;
    unsigned char *out = (unsigned char *)y;
    const int64_t slice_bytes = p->slice_elems * p->elem_size;
    int64_t b, t;
    for (b = 0; b < p->batch; b++)
        for (t = 0; t < p->per_batch; t++, out += slice_bytes) {
            const int64_t off = dlk_nd_offset(p, indices, b * p->per_batch + t);
            if (off < 0)
                memset(out, 0, (size_t)slice_bytes);
            else
                memcpy(out, in + (b * p->batch_elems + off) * p->elem_size, (size_t)slice_bytes);
        }
}
/*@end*/

/*@ dlk_scatternd : dlk_nd_offset dlk_scatter_combine */
static void dlk_scatternd(const dlk_nd_params *p, const void *data, const void *indices, const void *updates,
                          void *y, int64_t data_bytes)
{
    int64_t t;
    memmove(y, data, (size_t)data_bytes);
    for (t = 0; t < p->per_batch; t++) {
        const int64_t off = dlk_nd_offset(p, indices, t);
        if (off >= 0)
            dlk_scatter_combine(y, off, updates, t * p->slice_elems, p->slice_elems, p->dtype, p->reduction,
                                p->elem_size);
    }
}
/*@end*/

/*@ dlk_onehot_params */
typedef struct dlk_onehot_params {
    int64_t outer;          /* product of the indices dims before the axis */
    int64_t depth;
    int64_t inner;          /* product of the indices dims from the axis on */
    int64_t elem_size;      /* of values and the output */
    int64_t idx_dtype;
} dlk_onehot_params;
/*@end*/

/*@ dlk_onehot : dlk_onehot_params dlk_read_index */
/* values = {off, on}. Negative indices count from the end (-1 is depth-1);
 * indices outside [-depth, depth) give a row of off values. */
static void dlk_onehot(const dlk_onehot_params *p, const void *indices, const void *values, void *y)
{
    const unsigned char *v = (const unsigned char *)values;
    unsigned char *out = (unsigned char *)y;
    const size_t es = (size_t)p->elem_size;
    int64_t o, dd, i;
    for (o = 0; o < p->outer; o++)
        for (dd = 0; dd < p->depth; dd++)
            for (i = 0; i < p->inner; i++, out += es) {
                int64_t idx = dlk_read_index(indices, o * p->inner + i, p->idx_dtype);
                if (idx < 0)
                    idx += p->depth;
                memcpy(out, v + (idx == dd ? es : 0), es);
            }
}
/*@end*/

#endif
