/* RoiAlign (opsets 10, 16) and MaxRoiPool (1).
 *
 * RoiAlign-10 samples at output_half_pixel coordinates (no shift); 16 adds
 * coordinate_transformation_mode, whose default half_pixel shifts by -0.5.
 * Float32 features and ROIs; batch indices int64 (int32 is not supported). */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/roi.h"

typedef struct roi_align_params_t {
    bool max_mode;
    bool half_pixel;
    int64_t out_h, out_w, sampling_ratio;
    float spatial_scale;
} roi_align_params_t;

static int roi_positive(dl_node *n, dl_diag *d, const char *name, int64_t fallback, int64_t min, int64_t *out)
{
    *out = dl_attr_int(n, name, fallback);
    if (*out < min)
        return dl_error(d, n, "attribute '%s' is %lld; expected >= %lld", name, (long long)*out, (long long)min);
    return 0;
}

static int roi_align_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    roi_align_params_t *p = dl_node_params(g, n, sizeof *p);
    const char *mode, *ctm;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 3, 3) < 0)
        return -1;
    mode = dl_attr_string(n, "mode", "avg");
    if (strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
        return dl_error(d, n, "attribute 'mode' is '%s'; expected avg or max", mode);
    p->max_mode = strcmp(mode, "max") == 0;
    ctm = n->opset >= 16 ? dl_attr_string(n, "coordinate_transformation_mode", "half_pixel") : "output_half_pixel";
    if (strcmp(ctm, "half_pixel") != 0 && strcmp(ctm, "output_half_pixel") != 0)
        return dl_error(d, n, "attribute 'coordinate_transformation_mode' is '%s'; "
                        "expected half_pixel or output_half_pixel", ctm);
    p->half_pixel = strcmp(ctm, "half_pixel") == 0;
    p->spatial_scale = dl_attr_float(n, "spatial_scale", 1.0f);
    if (roi_positive(n, d, "output_height", 1, 1, &p->out_h) < 0 ||
        roi_positive(n, d, "output_width", 1, 1, &p->out_w) < 0)
        return -1;
    return roi_positive(n, d, "sampling_ratio", 0, 0, &p->sampling_ratio);
}

/* X float32 NCHW and rois float32 (num_rois, cols). */
static int roi_check(dl_node *n, dl_diag *d, int64_t cols)
{
    const dl_value *x = n->inputs[0], *rois = n->inputs[1];
    if (x->dtype != DL_FLOAT || rois->dtype != DL_FLOAT)
        return dl_error(d, n, "inputs X and rois are %s and %s; only float32 is supported",
                        dl_dtype_name(x->dtype), dl_dtype_name(rois->dtype));
    if (x->rank != 4)
        return dl_error(d, n, "input 'X' has rank %d; expected 4 (N, C, H, W)", x->rank);
    if (rois->rank != 2 || rois->dims[1] != cols)
        return dl_error(d, n, "input 'rois' must have shape (num_rois, %lld)", (long long)cols);
    return 0;
}

static int roi_align_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const roi_align_params_t *p = n->params;
    const dl_value *x = n->inputs[0], *rois = n->inputs[1], *batch = n->inputs[2];
    int64_t dims[4];
    (void)g;
    if (roi_check(n, d, 4) < 0)
        return -1;
    if (batch->dtype != DL_INT64)
        return dl_error(d, n, "input 'batch_indices' is %s; only int64 is supported", dl_dtype_name(batch->dtype));
    if (batch->rank != 1 || batch->dims[0] != rois->dims[0])
        return dl_error(d, n, "input 'batch_indices' must have shape (%lld)", (long long)rois->dims[0]);
    dims[0] = rois->dims[0];
    dims[1] = x->dims[1];
    dims[2] = p->out_h;
    dims[3] = p->out_w;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    return 0;
}

static void roi_align_make_params(const dl_node *n, dlk_roi_align_params *k)
{
    const roi_align_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    memset(k, 0, sizeof *k);
    k->n = x->dims[0];
    k->c = x->dims[1];
    k->h = x->dims[2];
    k->w = x->dims[3];
    k->num_rois = n->inputs[1]->dims[0];
    k->out_h = p->out_h;
    k->out_w = p->out_w;
    k->sampling_ratio = p->sampling_ratio;
    k->max_mode = p->max_mode;
    k->half_pixel = p->half_pixel;
    k->spatial_scale = p->spatial_scale;
}

static int roi_align_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_roi_align_params k;
    (void)g;
    (void)d;
    roi_align_make_params(n, &k);
    dlk_roi_align_f32(&k, n->inputs[0]->data, n->inputs[1]->data, n->inputs[2]->data, n->outputs[0]->data);
    return 0;
}

static int roi_align_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_roi_align_params k;
    (void)g;
    (void)d;
    roi_align_make_params(n, &k);
    dl_lower_need(l, "dlk_roi_align_f32");
    dl_lower_params_begin(l, "dlk_roi_align_params");
    dl_lower_param_int(l, "n", k.n);
    dl_lower_param_int(l, "c", k.c);
    dl_lower_param_int(l, "h", k.h);
    dl_lower_param_int(l, "w", k.w);
    dl_lower_param_int(l, "num_rois", k.num_rois);
    dl_lower_param_int(l, "out_h", k.out_h);
    dl_lower_param_int(l, "out_w", k.out_w);
    dl_lower_param_int(l, "sampling_ratio", k.sampling_ratio);
    dl_lower_param_int(l, "max_mode", k.max_mode);
    dl_lower_param_int(l, "half_pixel", k.half_pixel);
    dl_lower_param_float(l, "spatial_scale", k.spatial_scale);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_roi_align_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->inputs[2]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_RoiAlign = {"RoiAlign", 0, roi_align_setup, roi_align_infer, roi_align_eval, roi_align_lower};

/* -------------------------------------------------------------- MaxRoiPool */

typedef struct max_roi_pool_params_t {
    int64_t out_h, out_w;
    float spatial_scale;
} max_roi_pool_params_t;

static int max_roi_pool_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    max_roi_pool_params_t *p = dl_node_params(g, n, sizeof *p);
    const int64_t *shape;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    if (dl_attr_ints(n, "pooled_shape", &shape) != 2)
        return dl_error(d, n, "attribute 'pooled_shape' must be given as 2 values (height, width)");
    if (shape[0] < 1 || shape[1] < 1)
        return dl_error(d, n, "attribute 'pooled_shape' is (%lld, %lld); expected positive values",
                        (long long)shape[0], (long long)shape[1]);
    p->out_h = shape[0];
    p->out_w = shape[1];
    p->spatial_scale = dl_attr_float(n, "spatial_scale", 1.0f);
    return 0;
}

static int max_roi_pool_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const max_roi_pool_params_t *p = n->params;
    int64_t dims[4];
    (void)g;
    if (roi_check(n, d, 5) < 0)
        return -1;
    dims[0] = n->inputs[1]->dims[0];
    dims[1] = n->inputs[0]->dims[1];
    dims[2] = p->out_h;
    dims[3] = p->out_w;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    return 0;
}

static void max_roi_pool_make_params(const dl_node *n, dlk_max_roi_pool_params *k)
{
    const max_roi_pool_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    memset(k, 0, sizeof *k);
    k->n = x->dims[0];
    k->c = x->dims[1];
    k->h = x->dims[2];
    k->w = x->dims[3];
    k->num_rois = n->inputs[1]->dims[0];
    k->out_h = p->out_h;
    k->out_w = p->out_w;
    k->spatial_scale = p->spatial_scale;
}

static int max_roi_pool_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_max_roi_pool_params k;
    (void)g;
    (void)d;
    max_roi_pool_make_params(n, &k);
    dlk_max_roi_pool_f32(&k, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    return 0;
}

static int max_roi_pool_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_max_roi_pool_params k;
    (void)g;
    (void)d;
    max_roi_pool_make_params(n, &k);
    dl_lower_need(l, "dlk_max_roi_pool_f32");
    dl_lower_params_begin(l, "dlk_max_roi_pool_params");
    dl_lower_param_int(l, "n", k.n);
    dl_lower_param_int(l, "c", k.c);
    dl_lower_param_int(l, "h", k.h);
    dl_lower_param_int(l, "w", k.w);
    dl_lower_param_int(l, "num_rois", k.num_rois);
    dl_lower_param_int(l, "out_h", k.out_h);
    dl_lower_param_int(l, "out_w", k.out_w);
    dl_lower_param_float(l, "spatial_scale", k.spatial_scale);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_max_roi_pool_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_MaxRoiPool = {"MaxRoiPool", 0, max_roi_pool_setup, max_roi_pool_infer, max_roi_pool_eval,
                                max_roi_pool_lower};
