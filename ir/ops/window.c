/* Attribute reading and padding rules shared by the window ops; see
 * window.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir/ops/window.h"
#include "kernels/conv.h"

int dl_window_read_ints(dl_diag *d, const dl_node *n, const char *name, int max, int64_t min_value,
                        dl_window_ints *out)
{
    const int64_t *v;
    out->n = dl_attr_ints(n, name, &v);
    if (out->n < 0)
        return 0;
    if (out->n > max)
        return dl_error(d, n, "attribute '%s' has %d values; at most %d are supported", name, out->n,
                        max);
    for (int i = 0; i < out->n; i++) {
        if (v[i] < min_value)
            return dl_error(d, n, "attribute '%s'[%d] is %" PRId64 "; expected >= %" PRId64, name, i,
                            v[i], min_value);
        out->v[i] = v[i];
    }
    return 0;
}

static int read_auto_pad(dl_diag *d, const dl_node *n, dl_window_pad *out)
{
    const char *s = dl_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(s, "NOTSET") == 0 || s[0] == '\0')    /* onnxruntime reads "" as NOTSET */
        *out = DL_WINDOW_PAD_NOTSET;
    else if (strcmp(s, "SAME_UPPER") == 0)
        *out = DL_WINDOW_PAD_SAME_UPPER;
    else if (strcmp(s, "SAME_LOWER") == 0)
        *out = DL_WINDOW_PAD_SAME_LOWER;
    else if (strcmp(s, "VALID") == 0)
        *out = DL_WINDOW_PAD_VALID;
    else
        return dl_error(d, n, "attribute 'auto_pad' is '%s'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", s);
    return 0;
}

int dl_window_read_attrs(dl_diag *d, const dl_node *n, dl_window_attrs *a)
{
    /* Pads are never negative here; ConvTranspose derives negative ones
     * itself from output_shape. */
    if (read_auto_pad(d, n, &a->auto_pad) < 0 ||
        dl_window_read_ints(d, n, "kernel_shape", DL_WINDOW_MAX_SPATIAL, 1, &a->kernel_shape) < 0 ||
        dl_window_read_ints(d, n, "strides", DL_WINDOW_MAX_SPATIAL, 1, &a->strides) < 0 ||
        dl_window_read_ints(d, n, "dilations", DL_WINDOW_MAX_SPATIAL, 1, &a->dilations) < 0 ||
        dl_window_read_ints(d, n, "pads", 2 * DL_WINDOW_MAX_SPATIAL, 0, &a->pads) < 0)
        return -1;
    return 0;
}

int dl_window_axis_list(dl_diag *d, const dl_node *n, const char *name, const dl_window_ints *src,
                        int want, int r, int64_t dflt, int64_t *dst)
{
    if (src->n < 0) {
        for (int i = 0; i < want; i++)
            dst[i] = dflt;
        return 0;
    }
    if (src->n != want)
        return dl_error(d, n, "attribute '%s' has %d values; expected %d for %d spatial axes of input 'X'",
                        name, src->n, want, r);
    memcpy(dst, src->v, (size_t)want * sizeof *dst);
    return 0;
}

int dl_window_axes(dl_diag *d, const dl_node *n, const dl_window_attrs *a, int r, int64_t *strides,
                   int64_t *dilations, int64_t *pads)
{
    if (dl_window_axis_list(d, n, "strides", &a->strides, r, r, 1, strides) < 0 ||
        dl_window_axis_list(d, n, "dilations", &a->dilations, r, r, 1, dilations) < 0 ||
        dl_window_axis_list(d, n, "pads", &a->pads, 2 * r, r, 0, pads) < 0)
        return -1;
    return 0;
}

int dl_window_check_float(dl_diag *d, const dl_node *n, int i, const char *what)
{
    const dl_value *v = n->inputs[i];
    char label[32];
    if (v->rank < 0)
        return dl_error(d, n, "input '%s' ('%s') has an unknown shape; give it with --shape", what,
                        v->name);
    snprintf(label, sizeof label, "input %s", what);
    return dl_check_dtype(d, n, v, label, DL_FLOAT);
}

bool dl_window_is_same(dl_window_pad p)
{
    return p == DL_WINDOW_PAD_SAME_UPPER || p == DL_WINDOW_PAD_SAME_LOWER;
}

void dl_window_auto_pads(dl_window_pad p, int64_t in, int64_t k, int64_t s, int64_t dil, int64_t *pb,
                         int64_t *pe)
{
    if (dl_window_is_same(p))
        dlk_conv_same_pads(in, k, s, dil, p == DL_WINDOW_PAD_SAME_UPPER, pb, pe);
    else if (p == DL_WINDOW_PAD_VALID)
        *pb = *pe = 0;
}

int64_t dl_window_extent(int64_t k, int64_t dil)
{
    return dil * (k - 1) + 1;
}

int dl_window_check_fits(dl_diag *d, const dl_node *n, int i, int64_t in, int64_t pb, int64_t pe,
                         int64_t keff)
{
    if (in + pb + pe < keff)
        return dl_error(d, n, "spatial axis %d of input 'X' is %" PRId64 " (padded %" PRId64
                        "), smaller than the dilated kernel %" PRId64, i, in, in + pb + pe, keff);
    return 0;
}

void dl_window_lower_geometry(dl_lower *l, int rank, const int64_t *in, const int64_t *out, const int64_t *kernel,
                              const int64_t *strides, const int64_t *dilations, const int64_t *pads)
{
    dl_lower_param_ints(l, "in", in, rank);
    dl_lower_param_ints(l, "out", out, rank);
    dl_lower_param_ints(l, "kernel", kernel, rank);
    dl_lower_param_ints(l, "strides", strides, rank);
    dl_lower_param_ints(l, "dilations", dilations, rank);
    dl_lower_param_ints(l, "pads", pads, 2 * rank);
}
