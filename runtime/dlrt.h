/* dlrt: the runtime that ships with dlcc's generated code into tools and
 * products. Tensor files (.npy, ONNX TensorProto .pb) and a monotonic clock.
 *
 * Plain C99, libc only. The three files dlrt.h, tensor_io.c and timing.c are
 * all there is: `dlcc run` embeds them into the driver program it builds. */
#ifndef DLRT_H
#define DLRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLRT_MAX_RANK 8

/* Element types, by their ONNX TensorProto.DataType code. */
enum {
    DLRT_FLOAT = 1,
    DLRT_UINT8 = 2,
    DLRT_INT8 = 3,
    DLRT_UINT16 = 4,
    DLRT_INT16 = 5,
    DLRT_INT32 = 6,
    DLRT_INT64 = 7,
    DLRT_BOOL = 9,
    DLRT_FLOAT16 = 10,   /* kept as raw IEEE half bits */
    DLRT_DOUBLE = 11,
    DLRT_UINT32 = 12,
    DLRT_UINT64 = 13
};

/* A dense, C-ordered tensor. `data` holds `bytes` bytes in host byte order;
 * it is malloc'ed by the readers and released by dlrt_tensor_free.
 * Rank 0 is a scalar (one element). */
typedef struct dlrt_tensor {
    int dtype;
    int rank;
    int64_t dims[DLRT_MAX_RANK];
    void *data;
    size_t bytes;
} dlrt_tensor;

/* Every function that can fail returns 0, or -1 with a message naming the
 * file in err (err may be NULL). On failure the tensor is left empty
 * (data NULL), so dlrt_tensor_free is always safe. */

/* NumPy .npy, format versions 1.0, 2.0 and 3.0; little-endian dtypes
 * '<f4' '<f8' '<i8' '<i4' '<i2' '<u2' '<u4' '<u8' '<f2' '|b1' '|u1' '|i1';
 * C order only (fortran_order True is an error). */
int dlrt_read_npy(const char *path, dlrt_tensor *t, char *err, size_t err_size);
/* Writes format 1.0 with the header padded to 64 bytes, as numpy does. */
int dlrt_write_npy(const char *path, const dlrt_tensor *t, char *err, size_t err_size);

/* An ONNX TensorProto file, as in ONNX test data (test_data_set_0/input_0.pb). */
int dlrt_read_pb(const char *path, dlrt_tensor *t, char *err, size_t err_size);
/* The same, also copying the tensor's name (possibly empty) into name,
 * truncated to name_size - 1 characters. */
int dlrt_read_pb_named(const char *path, dlrt_tensor *t, char *name, size_t name_size,
                       char *err, size_t err_size);

void dlrt_tensor_free(dlrt_tensor *t);
/* Element count: the product of dims (1 for rank 0). */
size_t dlrt_tensor_count(const dlrt_tensor *t);

/* 0 / "unknown" for codes outside the enum above. */
size_t dlrt_dtype_size(int dtype);
const char *dlrt_dtype_name(int dtype);   /* numpy's names: "float32", "int64", "bool" ... */

/* Seconds on a monotonic clock, for measuring intervals (timing.c). */
double dlrt_now_seconds(void);

#ifdef __cplusplus
}
#endif

#endif
