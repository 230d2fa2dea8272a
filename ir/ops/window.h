/* What the sliding-window ops (Conv, ConvTranspose, MaxPool, AveragePool)
 * know alike at compile time: the kernel_shape / strides / dilations / pads /
 * auto_pad attributes (read and checked the same way by all of them), their
 * per-axis defaults, and the SAME_* / VALID padding rules. Each op keeps its
 * own output-size formula (ConvTranspose's runs backwards, pooling has
 * ceil_mode) in its own file. */
#ifndef DL_OPS_WINDOW_H
#define DL_OPS_WINDOW_H

#include "ir/ops/op.h"

/* The most spatial axes: the input is (N, C, spatial...). */
#define DL_WINDOW_MAX_SPATIAL (DL_MAX_RANK - 2)

typedef enum dl_window_pad {
    DL_WINDOW_PAD_NOTSET, DL_WINDOW_PAD_SAME_UPPER, DL_WINDOW_PAD_SAME_LOWER, DL_WINDOW_PAD_VALID
} dl_window_pad;

/* An ints attribute: n is -1 when absent. */
typedef struct dl_window_ints {
    int n;
    int64_t v[2 * DL_MAX_RANK];
} dl_window_ints;

/* The attributes every window op has, as written. */
typedef struct dl_window_attrs {
    dl_window_pad auto_pad;
    dl_window_ints kernel_shape, strides, dilations, pads;
} dl_window_attrs;

/* Reads the ints attribute `name` into out (n = -1 when absent); at most max
 * values, each >= min_value. */
int dl_window_read_ints(dl_diag *d, const dl_node *n, const char *name, int max, int64_t min_value,
                        dl_window_ints *out);

/* Reads auto_pad, kernel_shape, strides, dilations and pads (for setup). */
int dl_window_read_attrs(dl_diag *d, const dl_node *n, dl_window_attrs *a);

/* Copies an optional attribute of `want` values (r spatial axes) into dst,
 * or fills dst with dflt when it is absent. */
int dl_window_axis_list(dl_diag *d, const dl_node *n, const char *name, const dl_window_ints *src,
                        int want, int r, int64_t dflt, int64_t *dst);

/* strides, dilations (default 1) and pads (default 0, 2*r values) for r
 * spatial axes. */
int dl_window_axes(dl_diag *d, const dl_node *n, const dl_window_attrs *a, int r, int64_t *strides,
                   int64_t *dilations, int64_t *pads);

/* Input i is float32 with a known shape; `what` is its ONNX name. */
int dl_window_check_float(dl_diag *d, const dl_node *n, int i, const char *what);

bool dl_window_is_same(dl_window_pad p);

/* The pads (*pb, *pe) of one axis as auto_pad sets them: SAME_* (ONNX
 * rules, odd one at the end for SAME_UPPER), VALID (none); NOTSET leaves
 * them as given. */
void dl_window_auto_pads(dl_window_pad p, int64_t in, int64_t k, int64_t s, int64_t dil, int64_t *pb,
                         int64_t *pe);

/* The dilated kernel extent: dil * (k - 1) + 1. */
int64_t dl_window_extent(int64_t k, int64_t dil);

/* Spatial axis i of input 'X' (size in, padded by pb + pe) holds at least
 * one window of extent keff. */
int dl_window_check_fits(dl_diag *d, const dl_node *n, int i, int64_t in, int64_t pb, int64_t pe,
                         int64_t keff);

/* The window geometry fields every window kernel's params struct shares, in
 * this order: in, out, kernel, strides, dilations (rank values each), pads (2 * rank). */
void dl_window_lower_geometry(dl_lower *l, int rank, const int64_t *in, const int64_t *out, const int64_t *kernel,
                              const int64_t *strides, const int64_t *dilations, const int64_t *pads);

#endif
