/* Expand, Tile, Trilu, EyeLike and Range. The data-movement kernels are
 * generic in the element size (they copy bytes); Range and EyeLike write
 * numbers, so they take the ONNX data type code (1 float32, 7 int64, ...). */
#ifndef DLK_EXPAND_H
#define DLK_EXPAND_H

#include "common.h"

/*@ dlk_tile_params : dlk_common */
/* Expand is Tile with every repeated input dim of size 1: output coordinate c
 * reads input coordinate c % in_dims (in_dims padded with leading 1s). */
typedef struct dlk_tile_params {
    int64_t rank;
    int64_t out_dims[DLK_MAX_RANK];
    int64_t in_dims[DLK_MAX_RANK];
    int64_t elem_size;
} dlk_tile_params;
/*@end*/

/*@ dlk_tile : dlk_tile_params */
static void dlk_tile(const dlk_tile_params *p, const void *x, void *y)
{
    const unsigned char *in = (const unsigned char *)x;
    unsigned char *out = (unsigned char *)y;
    int64_t coord[DLK_MAX_RANK], in_strides[DLK_MAX_RANK];
    int64_t total = 1, i, d, s = 1;
    for (d = p->rank - 1; d >= 0; d--) {
        in_strides[d] = s;
        s *= p->in_dims[d];
        total *= p->out_dims[d];
        coord[d] = 0;
    }
    for (i = 0; i < total; i++) {
        int64_t off = 0;
        for (d = 0; d < p->rank; d++)
            off += (coord[d] % p->in_dims[d]) * in_strides[d];
        memcpy(out + i * p->elem_size, in + off * p->elem_size, (size_t)p->elem_size);
        for (d = p->rank - 1; d >= 0; d--) {     /* next output coordinate */
            if (++coord[d] < p->out_dims[d])
                break;
            coord[d] = 0;
        }
    }
}
/*@end*/

/*@ dlk_trilu_params */
typedef struct dlk_trilu_params {
    int64_t batch;          /* product of the dims before the last two */
    int64_t rows, cols;
    int64_t upper;          /* 1: keep j - i >= k; 0: keep j - i <= k */
    int64_t elem_size;
} dlk_trilu_params;
/*@end*/

/*@ dlk_trilu : dlk_trilu_params */
/* k is the optional 0-d int64 input (NULL: 0); it is read at run time
 * because it changes only values, never the shape. */
static void dlk_trilu(const dlk_trilu_params *p, const void *x, const int64_t *k, void *y)
{
    const unsigned char *in = (const unsigned char *)x;
    unsigned char *out = (unsigned char *)y;
    const int64_t kk = k != NULL ? k[0] : 0;
    const size_t es = (size_t)p->elem_size;
    int64_t b, i, j, at = 0;
    for (b = 0; b < p->batch; b++)
        for (i = 0; i < p->rows; i++)
            for (j = 0; j < p->cols; j++, at++) {
                const int keep = p->upper ? (j - i >= kk) : (j - i <= kk);
                if (keep)
                    memcpy(out + at * (int64_t)es, in + at * (int64_t)es, es);
                else
                    memset(out + at * (int64_t)es, 0, es);
            }
}
/*@end*/

/*@ dlk_store_number */
/* Store v as element i of an array of ONNX type `dtype` (float16 is not handled). */
static void dlk_store_number(void *y, int64_t i, int64_t dtype, double v)
{
    switch (dtype) {
    case 1: ((float *)y)[i] = (float)v; break;
    case 2: ((uint8_t *)y)[i] = (uint8_t)v; break;
    case 3: ((int8_t *)y)[i] = (int8_t)v; break;
    case 4: ((uint16_t *)y)[i] = (uint16_t)v; break;
    case 5: ((int16_t *)y)[i] = (int16_t)v; break;
    case 6: ((int32_t *)y)[i] = (int32_t)v; break;
    case 7: ((int64_t *)y)[i] = (int64_t)v; break;
    case 9: ((uint8_t *)y)[i] = (uint8_t)(v != 0); break;
    case 11: ((double *)y)[i] = v; break;
    case 12: ((uint32_t *)y)[i] = (uint32_t)v; break;
    case 13: ((uint64_t *)y)[i] = (uint64_t)v; break;
    default: break;
    }
}
/*@end*/

/*@ dlk_eyelike : dlk_store_number */
/* rows x cols of zeros with ones on diagonal k (j - i == k). */
static void dlk_eyelike(void *y, int64_t rows, int64_t cols, int64_t k, int64_t dtype, int64_t elem_size)
{
    int64_t i;
    memset(y, 0, (size_t)(rows * cols * elem_size));
    for (i = 0; i < rows; i++)
        if (i + k >= 0 && i + k < cols)
            dlk_store_number(y, i * cols + i + k, dtype, 1.0);
}
/*@end*/

/*@ dlk_range_i64 */
/* Integer Range: start + i * delta, in int64 arithmetic, stored with the output type. */
static void dlk_range_i64(void *y, int64_t n, int64_t start, int64_t delta, int64_t dtype)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        const int64_t v = start + i * delta;
        switch (dtype) {
        case 3: ((int8_t *)y)[i] = (int8_t)v; break;
        case 5: ((int16_t *)y)[i] = (int16_t)v; break;
        case 6: ((int32_t *)y)[i] = (int32_t)v; break;
        default: ((int64_t *)y)[i] = v; break;
        }
    }
}
/*@end*/

/*@ dlk_range_f64 */
/* Floating Range: float32 computes in float (as the ONNX reference does), float64 in double. */
static void dlk_range_f64(void *y, int64_t n, double start, double delta, int64_t dtype)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        if (dtype == 1)
            ((float *)y)[i] = (float)start + (float)i * (float)delta;
        else
            ((double *)y)[i] = start + (double)i * delta;
    }
}
/*@end*/

#endif
