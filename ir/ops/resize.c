/* Resize (opsets 10-19) and Upsample (7-9, deprecated at 10).
 *
 * Upsample and Resize-10 use the asymmetric coordinate transform and
 * onnxruntime's pre-11 nearest rule (ceil when downsampling, else truncate).
 * Resize-11 takes X, roi, scales, sizes (scales may be empty when sizes is
 * given); 13 makes roi and scales optional; 18 adds the axes and
 * keep_aspect_ratio_policy attributes and antialias (linear and cubic run
 * resize.h's dlk_resize_aa_f32, the reference's widened filter); 19 adds
 * half_pixel_symmetric. Scales, sizes and roi must be constant: shapes are
 * static in dlcc. Output dims are floor(in * scale) computed in float, as
 * onnxruntime does (it ignores the roi there, unlike the spec's formula). */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/resize.h"

enum { KEEP_STRETCH, KEEP_NOT_LARGER, KEEP_NOT_SMALLER };

typedef struct resize_params_t {
    bool upsample;              /* the Upsample op */
    int mode;                   /* DLK_RESIZE_NEAREST, _LINEAR, _CUBIC */
    int coord_mode;             /* DLK_RESIZE_HALF_PIXEL ... */
    int nearest_mode;           /* DLK_RESIZE_ROUND_PREFER_FLOOR ... */
    float cubic_a;
    bool exclude_outside;
    bool antialias;             /* opset 18: linear and cubic widen their filter when downsampling */
    float extrapolation_value;
    int keep_aspect;            /* KEEP_* */
    const int64_t *axes;        /* opset 18 `axes`; NULL: every axis */
    int n_axes;
    /* Set by infer, per axis of X. */
    float scales[DL_MAX_RANK];
    float roi[2 * DL_MAX_RANK]; /* starts, then ends */
} resize_params_t;

/* Indexed by the DLK_RESIZE_* values. */
static const char *const resize_modes[] = {"nearest", "linear", "cubic"};
static const char *const resize_coord_modes[] = {"half_pixel", "asymmetric", "pytorch_half_pixel",
                                                 "tf_half_pixel_for_nn", "align_corners", "tf_crop_and_resize",
                                                 "half_pixel_symmetric"};
static const char *const resize_nearest_modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
static const char *const resize_keep_policies[] = {"stretch", "not_larger", "not_smaller"};

/* The index of attribute `name`'s string in names[count], or an error. */
static int resize_choice(dl_node *n, dl_diag *d, const char *name, const char *fallback,
                         const char *const *names, int count, int *out)
{
    const char *s = dl_attr_string(n, name, fallback);
    int i;
    for (i = 0; i < count; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return dl_error(d, n, "attribute '%s' is '%s'; expected %s%s%s%s", name, s, names[0],
                    count > 1 ? ", " : "", count > 1 ? names[1] : "", count > 2 ? ", ..." : "");
}

static resize_params_t *resize_params_new(dl_graph *g, dl_node *n, dl_diag *d)
{
    resize_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL) {
        dl_error(d, n, "out of memory");
        return NULL;
    }
    p->coord_mode = DLK_RESIZE_ASYMMETRIC;     /* Upsample and Resize-10 */
    p->nearest_mode = DLK_RESIZE_SIMPLE;
    p->cubic_a = -0.75f;
    return p;
}

static int resize_opset18_attrs(dl_node *n, dl_diag *d, resize_params_t *p)
{
    const int64_t antialias = dl_attr_int(n, "antialias", 0);
    if (antialias != 0 && antialias != 1)
        return dl_error(d, n, "attribute 'antialias' is %lld; expected 0 or 1", (long long)antialias);
    p->antialias = antialias == 1 && p->mode != DLK_RESIZE_NEAREST;   /* nearest has no filter to widen */
    if (resize_choice(n, d, "keep_aspect_ratio_policy", "stretch", resize_keep_policies, 3, &p->keep_aspect) < 0)
        return -1;
    p->n_axes = dl_attr_ints(n, "axes", &p->axes);
    if (p->n_axes < 0) {
        p->axes = NULL;
        p->n_axes = 0;
    }
    return 0;
}

static int resize_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    resize_params_t *p = resize_params_new(g, n, d);
    if (p == NULL || dl_check_inputs(d, n, n->opset >= 11 ? 1 : 2, n->opset >= 11 ? 4 : 2) < 0)
        return -1;
    if (resize_choice(n, d, "mode", "nearest", resize_modes, n->opset >= 11 ? 3 : 2, &p->mode) < 0)
        return -1;
    if (n->opset >= 11) {
        if (resize_choice(n, d, "coordinate_transformation_mode", "half_pixel", resize_coord_modes, 7,
                          &p->coord_mode) < 0)
            return -1;
        if (resize_choice(n, d, "nearest_mode", "round_prefer_floor", resize_nearest_modes, 4,
                          &p->nearest_mode) < 0)
            return -1;
        p->cubic_a = dl_attr_float(n, "cubic_coeff_a", -0.75f);
        p->exclude_outside = dl_attr_int(n, "exclude_outside", 0) != 0;
        p->extrapolation_value = dl_attr_float(n, "extrapolation_value", 0.0f);
    }
    if (n->opset >= 18)
        return resize_opset18_attrs(n, d, p);
    return 0;
}

static int upsample_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    resize_params_t *p = resize_params_new(g, n, d);
    const char *mode = dl_attr_string(n, "mode", "nearest");
    if (p == NULL || dl_check_inputs(d, n, 1, 2) < 0)
        return -1;
    p->upsample = true;
    if (strcmp(mode, "nearest") == 0)
        p->mode = DLK_RESIZE_NEAREST;
    else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0)
        p->mode = DLK_RESIZE_LINEAR;
    else
        return dl_error(d, n, "attribute 'mode' is '%s'; expected nearest or linear", mode);
    return 0;
}

/* ------------------------------------------------------ scales and sizes */

static bool resize_present(const dl_value *v)
{
    return v != NULL && dl_value_numel(v) > 0;
}

static const dl_value *resize_input(const dl_node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : NULL;
}

/* A constant float32 or float64 input into out[max]; returns its count. */
static int resize_const_floats(dl_node *n, dl_diag *d, const dl_value *v, const char *what, float *out, int max)
{
    int64_t count = dl_value_numel(v), i;
    if (v->data == NULL)
        return dl_error_not_constant(d, n, v, what, "shapes are static in dlcc");
    if (v->dtype != DL_FLOAT && v->dtype != DL_DOUBLE)
        return dl_error(d, n, "input '%s' is %s; expected float32 or float64", what, dl_dtype_name(v->dtype));
    if (count > max)
        return dl_error(d, n, "input '%s' has %lld values; expected at most %d", what, (long long)count, max);
    for (i = 0; i < count; i++)
        out[i] = v->dtype == DL_FLOAT ? ((const float *)v->data)[i] : (float)((const double *)v->data)[i];
    return (int)count;
}

/* The axes scales/sizes/roi list (opset 18 `axes`, else all). */
static int resize_axes(dl_node *n, dl_diag *d, int rank, int *axes)
{
    const resize_params_t *p = n->params;
    int i, j;
    if (p->axes == NULL) {
        for (i = 0; i < rank; i++)
            axes[i] = i;
        return rank;
    }
    if (p->n_axes > rank)
        return dl_error(d, n, "attribute 'axes' has %d values for X of rank %d", p->n_axes, rank);
    for (i = 0; i < p->n_axes; i++) {
        if (dl_norm_axis(d, n, p->axes[i], rank, &axes[i]) < 0)
            return -1;
        for (j = 0; j < i; j++)
            if (axes[j] == axes[i])
                return dl_error(d, n, "attribute 'axes' names axis %d twice", axes[i]);
    }
    return p->n_axes;
}

/* Upsample-7 keeps the scales in an attribute; later versions in input 1,
 * Resize-10 in input 1, Resize-11+ in input 2. NULL/0 when absent. */
static int resize_read_scales(dl_node *n, dl_diag *d, float *scales)
{
    const resize_params_t *p = n->params;
    const dl_value *v = resize_input(n, p->upsample || n->opset < 11 ? 1 : 2);
    const float *attr;
    int count;
    if (p->upsample && v == NULL) {
        count = dl_attr_floats(n, "scales", &attr);
        if (count < 0)
            return dl_error(d, n, "attribute 'scales' is missing");
        if (count > DL_MAX_RANK)
            return dl_error(d, n, "attribute 'scales' has %d values; expected at most %d", count, DL_MAX_RANK);
        memcpy(scales, attr, (size_t)count * sizeof *scales);
        return count;
    }
    if (!resize_present(v))
        return 0;
    return resize_const_floats(n, d, v, "scales", scales, DL_MAX_RANK);
}

static int resize_apply_scales(dl_node *n, dl_diag *d, const float *s, int count, const int *axes, int n_axes,
                               int64_t *out)
{
    resize_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    int j;
    if (count != n_axes)
        return dl_error(d, n, "'scales' has %d values; expected %d", count, n_axes);
    for (j = 0; j < n_axes; j++) {
        const int a = axes[j];
        if (!(s[j] > 0) || (p->upsample && s[j] < 1))
            return dl_error(d, n, "scales[%d] is %g; expected %s", j, (double)s[j], p->upsample ? ">= 1" : "> 0");
        p->scales[a] = s[j];
        out[a] = (int64_t)(s[j] * (float)x->dims[a]);   /* onnxruntime's float product */
    }
    return 0;
}

static int resize_apply_sizes(dl_node *n, dl_diag *d, const int64_t *sizes, int count, const int *axes,
                              int n_axes, int64_t *out)
{
    resize_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    float keep = 0;
    int j;
    if (count != n_axes)
        return dl_error(d, n, "'sizes' has %d values; expected %d", count, n_axes);
    for (j = 0; j < n_axes; j++) {
        const int64_t in = x->dims[axes[j]];
        const float ratio = in == 0 ? 1.0f : (float)sizes[j] / (float)in;
        if (sizes[j] < 0 || (in == 0 && sizes[j] != 0))
            return dl_error(d, n, "sizes[%d] is %lld for an axis of size %lld", j, (long long)sizes[j],
                            (long long)in);
        if (j == 0 || (p->keep_aspect == KEEP_NOT_LARGER ? ratio < keep : ratio > keep))
            keep = ratio;
        p->scales[axes[j]] = ratio;
        out[axes[j]] = sizes[j];
    }
    if (p->keep_aspect == KEEP_STRETCH)
        return 0;
    /* One scale for every listed axis; sizes rounded half up (opset 18). */
    for (j = 0; j < n_axes; j++) {
        p->scales[axes[j]] = keep;
        out[axes[j]] = (int64_t)(keep * (float)x->dims[axes[j]] + 0.5f);
    }
    return 0;
}

static int resize_read_roi(dl_node *n, dl_diag *d, const int *axes, int n_axes)
{
    resize_params_t *p = n->params;
    const int rank = n->inputs[0]->rank;
    const dl_value *v = resize_input(n, 1);
    float roi[2 * DL_MAX_RANK];
    int count, j;
    for (j = 0; j < rank; j++) {
        p->roi[j] = 0.0f;
        p->roi[rank + j] = 1.0f;
    }
    if (p->coord_mode != DLK_RESIZE_TF_CROP_AND_RESIZE)
        return 0;
    if (!resize_present(v))
        return dl_error(d, n, "input 'roi' is required by coordinate_transformation_mode tf_crop_and_resize");
    count = resize_const_floats(n, d, v, "roi", roi, 2 * DL_MAX_RANK);
    if (count < 0)
        return -1;
    if (count != 2 * n_axes)
        return dl_error(d, n, "input 'roi' has %d values; expected %d (starts, then ends)", count, 2 * n_axes);
    for (j = 0; j < n_axes; j++) {
        p->roi[axes[j]] = roi[j];
        p->roi[rank + axes[j]] = roi[n_axes + j];
    }
    return 0;
}

/* Output dims and per-axis scales from whichever of scales/sizes is given. */
static int resize_output_dims(dl_node *n, dl_diag *d, int64_t *out)
{
    const dl_value *x = n->inputs[0], *sizes_v = NULL;
    float scales[DL_MAX_RANK];
    int64_t sizes[DL_MAX_RANK];
    int axes[DL_MAX_RANK], n_axes, n_scales, n_sizes = 0, i;
    for (i = 0; i < x->rank; i++) {
        ((resize_params_t *)n->params)->scales[i] = 1.0f;
        out[i] = x->dims[i];
    }
    n_axes = resize_axes(n, d, x->rank, axes);
    n_scales = n_axes < 0 ? -1 : resize_read_scales(n, d, scales);
    if (n_scales < 0 || resize_read_roi(n, d, axes, n_axes) < 0)
        return -1;
    if (!((resize_params_t *)n->params)->upsample && n->opset >= 11)
        sizes_v = resize_input(n, 3);
    if (resize_present(sizes_v)) {
        if (n_scales > 0)
            return dl_error(d, n, "inputs 'scales' and 'sizes' are both given; expected one");
        if (dl_value_numel(sizes_v) > DL_MAX_RANK)
            return dl_error(d, n, "input 'sizes' has %lld values; expected at most %d",
                            (long long)dl_value_numel(sizes_v), DL_MAX_RANK);
        n_sizes = dl_const_ints(d, n, sizes_v, "sizes", sizes, DL_MAX_RANK);
        if (n_sizes < 0)
            return -1;
        return resize_apply_sizes(n, d, sizes, n_sizes, axes, n_axes, out);
    }
    if (n_scales == 0)
        return dl_error(d, n, "neither 'scales' nor 'sizes' is given; expected one");
    return resize_apply_scales(n, d, scales, n_scales, axes, n_axes, out);
}

/* ------------------------------------------------------------------ infer */

/* Antialiased taps per axis: 2*ceil(1/scale) (linear) or 2*ceil(2/scale) (cubic). */
static int resize_check_antialias(dl_node *n, dl_diag *d)
{
    const resize_params_t *p = n->params;
    int k;
    for (k = 0; k < n->inputs[0]->rank; k++) {
        const double s = p->scales[k] < 1.0f ? (double)p->scales[k] : 1.0;
        const double taps = -2.0 * floor((p->mode == DLK_RESIZE_LINEAR ? -1.0 : -2.0) / s);
        if (taps > DLK_RESIZE_AA_MAX_TAPS)
            return dl_error(d, n, "antialias over axis %d (scale %g) needs %.0f taps; at most %d are supported", k,
                            (double)p->scales[k], taps, DLK_RESIZE_AA_MAX_TAPS);
    }
    return 0;
}

static int resize_check_kernel(dl_node *n, dl_diag *d)
{
    const resize_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t corners = 1;
    int k;
    if (p->mode != DLK_RESIZE_NEAREST && x->dtype != DL_FLOAT)
        return dl_error(d, n, "mode '%s' needs float32 input X, not %s", resize_modes[p->mode],
                        dl_dtype_name(x->dtype));
    if (p->coord_mode == DLK_RESIZE_TF_CROP_AND_RESIZE && x->dtype != DL_FLOAT)
        return dl_error(d, n, "tf_crop_and_resize needs float32 input X, not %s", dl_dtype_name(x->dtype));
    if (dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input 'X' has unsupported type %s", dl_dtype_name(x->dtype));
    if (p->mode == DLK_RESIZE_NEAREST)
        return 0;
    if (p->antialias)
        return resize_check_antialias(n, d);
    for (k = 0; k < x->rank - 1; k++)
        if (p->scales[k] != 1.0f)
            corners *= p->mode == DLK_RESIZE_CUBIC ? 4 : 2;
    if (corners > DLK_RESIZE_MAX_CORNERS)
        return dl_error(d, n, "mode '%s' over these axes blends %lld input rows per output row; "
                        "at most %d are supported", resize_modes[p->mode], (long long)corners,
                        DLK_RESIZE_MAX_CORNERS);
    return 0;
}

static int resize_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    resize_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t out[DL_MAX_RANK];
    bool same = true;
    int i;
    (void)g;
    if (x->rank < 1)
        return dl_error(d, n, "input 'X' is a scalar; expected rank >= 1");
    if (resize_output_dims(n, d, out) < 0)
        return -1;
    for (i = 0; i < x->rank; i++)
        same = same && out[i] == x->dims[i];
    if (same)   /* onnxruntime copies when no dim changes, whatever the scales */
        for (i = 0; i < x->rank; i++)
            p->scales[i] = 1.0f;
    if (resize_check_kernel(n, d) < 0)
        return -1;
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, out);
    return 0;
}

/* ------------------------------------------------------ eval and lowering */

static void resize_make_params(const dl_node *n, dlk_resize_params *k)
{
    const resize_params_t *p = n->params;
    const dl_value *x = n->inputs[0], *y = n->outputs[0];
    int i;
    memset(k, 0, sizeof *k);
    k->rank = x->rank;
    k->elem_size = (int64_t)dl_dtype_size(x->dtype);
    k->mode = p->mode;
    k->coord_mode = p->coord_mode;
    k->nearest_mode = p->nearest_mode;
    k->exclude_outside = p->mode == DLK_RESIZE_CUBIC && p->exclude_outside;
    k->extrapolate = p->coord_mode == DLK_RESIZE_TF_CROP_AND_RESIZE;
    k->antialias = p->antialias;
    if (p->antialias)   /* the antialias filter renormalises linear taps too */
        k->exclude_outside = p->exclude_outside;
    for (i = 0; i < x->rank; i++) {
        k->in_dims[i] = x->dims[i];
        k->out_dims[i] = y->dims[i];
        k->scales[i] = p->scales[i];
        k->roi[i] = p->roi[i];
        k->roi[x->rank + i] = p->roi[x->rank + i];
    }
    k->cubic_a = p->cubic_a;
    k->extrapolation_value = k->extrapolate ? p->extrapolation_value : 0.0f;
}

static const char *resize_kernel(const dlk_resize_params *k)
{
    if (k->mode == DLK_RESIZE_NEAREST)
        return "dlk_resize_nearest";
    return k->antialias ? "dlk_resize_aa_f32" : "dlk_resize_f32";
}

static int resize_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_resize_params k;
    (void)g;
    (void)d;
    resize_make_params(n, &k);
    if (k.mode == DLK_RESIZE_NEAREST)
        dlk_resize_nearest(&k, n->inputs[0]->data, n->outputs[0]->data);
    else if (k.antialias)
        dlk_resize_aa_f32(&k, n->inputs[0]->data, n->outputs[0]->data);
    else
        dlk_resize_f32(&k, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static void resize_lower_params(dl_lower *l, const dlk_resize_params *k)
{
    const int rank = (int)k->rank;
    dl_lower_params_begin(l, "dlk_resize_params");
    dl_lower_param_int(l, "rank", k->rank);
    dl_lower_param_int(l, "elem_size", k->elem_size);
    dl_lower_param_int(l, "mode", k->mode);
    dl_lower_param_int(l, "coord_mode", k->coord_mode);
    if (k->mode == DLK_RESIZE_NEAREST)
        dl_lower_param_int(l, "nearest_mode", k->nearest_mode);
    if (k->exclude_outside)
        dl_lower_param_int(l, "exclude_outside", 1);
    if (k->antialias)
        dl_lower_param_int(l, "antialias", 1);
    dl_lower_param_ints(l, "in_dims", k->in_dims, rank);
    dl_lower_param_ints(l, "out_dims", k->out_dims, rank);
    dl_lower_param_floats(l, "scales", k->scales, rank);
    if (k->extrapolate) {
        dl_lower_param_int(l, "extrapolate", 1);
        dl_lower_param_floats(l, "roi", k->roi, 2 * rank);
        dl_lower_param_float(l, "extrapolation_value", k->extrapolation_value);
    }
    if (k->mode == DLK_RESIZE_CUBIC)
        dl_lower_param_float(l, "cubic_a", k->cubic_a);
    dl_lower_params_end(l);
}

static int resize_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_resize_params k;
    (void)g;
    (void)d;
    resize_make_params(n, &k);
    dl_lower_need(l, resize_kernel(&k));
    resize_lower_params(l, &k);
    dl_lower_call(l, resize_kernel(&k));
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Resize = {"Resize", 0, resize_setup, resize_infer, resize_eval, resize_lower};
const dl_op dl_op_Upsample = {"Upsample", 0, upsample_setup, resize_infer, resize_eval, resize_lower};
