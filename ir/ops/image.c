/* CenterCropPad (18), Col2Im (18), DeformConv (19) and MaxUnpool (9, 11).
 *
 * The inputs that decide output shapes (CenterCropPad's shape, Col2Im's
 * image_shape and block_shape, MaxUnpool's output_shape) must be constants.
 * CenterCropPad and MaxUnpool move bytes (any element type); Col2Im and
 * DeformConv are float32 only. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/image.h"

/* Attribute `name` as n values (fallback when absent); an error if it has
 * another count or a value below min. */
static int image_ints(dl_node *n, dl_diag *d, const char *name, int count, int64_t fallback, int64_t min,
                      int64_t *out)
{
    const int64_t *v;
    int got = dl_attr_ints(n, name, &v), i;
    if (got < 0) {
        for (i = 0; i < count; i++)
            out[i] = fallback;
        return 0;
    }
    if (got != count)
        return dl_error(d, n, "attribute '%s' has %d values; expected %d", name, got, count);
    for (i = 0; i < count; i++) {
        if (v[i] < min)
            return dl_error(d, n, "attribute '%s'[%d] is %lld; expected >= %lld", name, i, (long long)v[i],
                            (long long)min);
        out[i] = v[i];
    }
    return 0;
}

/* ------------------------------------------------------------ CenterCropPad */

static int crop_pad_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_crop_pad_params *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    return dl_check_inputs(d, n, 2, 2);
}

/* Fills the kernel params (kept as the node's params) from X and `shape`. */
static int crop_pad_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_crop_pad_params *p = n->params;
    const dl_value *x = n->inputs[0];
    const int64_t *attr_axes = NULL;
    int64_t shape[DL_MAX_RANK];
    int axes[DL_MAX_RANK], count, n_axes, i;
    bool all_axes;
    (void)g;
    if (x->rank < 1 || dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input 'input_data' (%s, rank %d) is not supported; expected rank >= 1",
                        dl_dtype_name(x->dtype), x->rank);
    count = dl_const_ints(d, n, n->inputs[1], "input shape", shape, DL_MAX_RANK);
    if (count < 0)
        return -1;
    n_axes = dl_attr_ints(n, "axes", &attr_axes);
    all_axes = n_axes < 0;
    if (all_axes)
        n_axes = x->rank;
    if (count != n_axes)
        return dl_error(d, n, "input 'shape' has %d values; expected %d (one per axis)", count, n_axes);
    memset(p, 0, sizeof *p);
    p->rank = x->rank;
    p->elem_size = (int64_t)dl_dtype_size(x->dtype);
    for (i = 0; i < x->rank; i++)
        p->in_dims[i] = p->out_dims[i] = x->dims[i];
    for (i = 0; i < n_axes; i++) {
        if (all_axes)
            axes[i] = i;
        else if (dl_norm_axis(d, n, attr_axes[i], x->rank, &axes[i]) < 0)
            return -1;
        if (shape[i] < 0)
            return dl_error(d, n, "shape[%d] is %lld; expected >= 0", i, (long long)shape[i]);
        p->out_dims[axes[i]] = shape[i];
        /* Crop starts (dim - s) / 2 into X; padding starts (s - dim) / 2 into Y. */
        p->shift[axes[i]] = shape[i] <= x->dims[axes[i]] ? (x->dims[axes[i]] - shape[i]) / 2
                                                         : -((shape[i] - x->dims[axes[i]]) / 2);
    }
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, p->out_dims);
    return 0;
}

static int crop_pad_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_crop_pad(n->params, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int crop_pad_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_crop_pad_params *p = n->params;
    (void)g;
    (void)d;
    dl_lower_need(l, "dlk_crop_pad");
    dl_lower_params_begin(l, "dlk_crop_pad_params");
    dl_lower_param_int(l, "rank", p->rank);
    dl_lower_param_int(l, "elem_size", p->elem_size);
    dl_lower_param_ints(l, "in_dims", p->in_dims, (int)p->rank);
    dl_lower_param_ints(l, "out_dims", p->out_dims, (int)p->rank);
    dl_lower_param_ints(l, "shift", p->shift, (int)p->rank);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_crop_pad");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_CenterCropPad = {"CenterCropPad", 0, crop_pad_setup, crop_pad_infer, crop_pad_eval,
                                   crop_pad_lower};

/* ------------------------------------------------------------------ Col2Im */

static int col2im_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_col2im_params *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    return dl_check_inputs(d, n, 3, 3);
}

static int col2im_axes(dl_node *n, dl_diag *d, dlk_col2im_params *p)
{
    int64_t cols = 1;
    int a;
    for (a = 0; a < p->r; a++) {
        const int64_t span = p->dilations[a] * (p->block[a] - 1) + 1;
        if (p->image[a] < 1 || p->block[a] < 1)
            return dl_error(d, n, "image_shape and block_shape must be positive (axis %d: %lld, %lld)", a,
                            (long long)p->image[a], (long long)p->block[a]);
        p->cols[a] = (p->image[a] + p->pads[a] + p->pads[p->r + a] - span) / p->strides[a] + 1;
        if (p->cols[a] < 1)
            return dl_error(d, n, "the block does not fit the padded image along axis %d", a);
        cols *= p->cols[a];
    }
    if (n->inputs[0]->dims[2] != cols)
        return dl_error(d, n, "input has %lld columns; expected %lld sliding blocks",
                        (long long)n->inputs[0]->dims[2], (long long)cols);
    return 0;
}

static int col2im_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_col2im_params *p = n->params;
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK], block = 1;
    int r, r2, a;
    (void)g;
    if (x->dtype != DL_FLOAT || x->rank != 3)
        return dl_error(d, n, "input is %s of rank %d; only float32 of rank 3 (N, C*prod(block), L) is supported",
                        dl_dtype_name(x->dtype), x->rank);
    memset(p, 0, sizeof *p);
    r = dl_const_ints(d, n, n->inputs[1], "input image_shape", p->image, DL_MAX_RANK - 2);
    if (r < 0)
        return -1;
    r2 = dl_const_ints(d, n, n->inputs[2], "input block_shape", p->block, DL_MAX_RANK - 2);
    if (r2 < 0)
        return -1;
    if (r < 1 || r2 != r)
        return dl_error(d, n, "image_shape and block_shape have %d and %d values; expected the same count >= 1",
                        r, r2);
    p->r = r;
    if (image_ints(n, d, "dilations", r, 1, 1, p->dilations) < 0 ||
        image_ints(n, d, "strides", r, 1, 1, p->strides) < 0 || image_ints(n, d, "pads", 2 * r, 0, 0, p->pads) < 0)
        return -1;
    for (a = 0; a < r; a++)
        block *= p->block[a];
    if (x->dims[1] % block != 0)
        return dl_error(d, n, "input dim 1 (%lld) is not a multiple of prod(block_shape) = %lld",
                        (long long)x->dims[1], (long long)block);
    if (col2im_axes(n, d, p) < 0)
        return -1;
    p->n = x->dims[0];
    p->c = x->dims[1] / block;
    dims[0] = p->n;
    dims[1] = p->c;
    for (a = 0; a < r; a++)
        dims[a + 2] = p->image[a];
    dl_value_set_shape(n->outputs[0], DL_FLOAT, r + 2, dims);
    return 0;
}

static int col2im_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_col2im_f32(n->params, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int col2im_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_col2im_params *p = n->params;
    const int r = (int)p->r;
    (void)g;
    (void)d;
    dl_lower_need(l, "dlk_col2im_f32");
    dl_lower_params_begin(l, "dlk_col2im_params");
    dl_lower_param_int(l, "n", p->n);
    dl_lower_param_int(l, "c", p->c);
    dl_lower_param_int(l, "r", p->r);
    dl_lower_param_ints(l, "image", p->image, r);
    dl_lower_param_ints(l, "block", p->block, r);
    dl_lower_param_ints(l, "cols", p->cols, r);
    dl_lower_param_ints(l, "dilations", p->dilations, r);
    dl_lower_param_ints(l, "pads", p->pads, 2 * r);
    dl_lower_param_ints(l, "strides", p->strides, r);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_col2im_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_Col2Im = {"Col2Im", 0, col2im_setup, col2im_infer, col2im_eval, col2im_lower};

/* -------------------------------------------------------------- DeformConv */

static int deform_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_deform_conv_params *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 3, 5) < 0)
        return -1;
    p->group = dl_attr_int(n, "group", 1);
    p->offset_group = dl_attr_int(n, "offset_group", 1);
    if (p->group < 1 || p->offset_group < 1)
        return dl_error(d, n, "attributes 'group' and 'offset_group' are %lld and %lld; expected >= 1",
                        (long long)p->group, (long long)p->offset_group);
    if (image_ints(n, d, "dilations", 2, 1, 1, p->dilations) < 0 ||
        image_ints(n, d, "strides", 2, 1, 1, p->strides) < 0)
        return -1;
    return image_ints(n, d, "pads", 4, 0, 0, p->pads);
}

static const dl_value *deform_input(const dl_node *n, int i)
{
    return i < n->n_inputs && n->inputs[i] != NULL && dl_value_numel(n->inputs[i]) > 0 ? n->inputs[i] : NULL;
}

/* Checks W, offset, B and mask against X and the output size. */
static int deform_check(dl_node *n, dl_diag *d, const dlk_deform_conv_params *p)
{
    const dl_value *w = n->inputs[1], *off = n->inputs[2], *b = deform_input(n, 3), *m = deform_input(n, 4);
    const int64_t taps = p->kh * p->kw;
    int i;
    for (i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] != NULL && n->inputs[i]->dtype != DL_FLOAT)
            return dl_error(d, n, "input %d is %s; only float32 is supported", i, dl_dtype_name(n->inputs[i]->dtype));
    if (w->dims[1] * p->group != p->c || p->oc % p->group != 0 || p->c % p->offset_group != 0)
        return dl_error(d, n, "channels do not match: X has %lld, W is (%lld, %lld, ...), group %lld, "
                        "offset_group %lld", (long long)p->c, (long long)p->oc, (long long)w->dims[1],
                        (long long)p->group, (long long)p->offset_group);
    if (off->rank != 4 || off->dims[0] != p->n || off->dims[1] != p->offset_group * taps * 2)
        return dl_error(d, n, "input 'offset' must have shape (%lld, %lld, oH, oW)", (long long)p->n,
                        (long long)(p->offset_group * taps * 2));
    if (b != NULL && (b->rank != 1 || b->dims[0] != p->oc))
        return dl_error(d, n, "input 'B' must have shape (%lld)", (long long)p->oc);
    if (m != NULL && (m->rank != 4 || m->dims[0] != p->n || m->dims[1] != p->offset_group * taps ||
                      m->dims[2] != p->oh || m->dims[3] != p->ow))
        return dl_error(d, n, "input 'mask' must have shape (%lld, %lld, %lld, %lld)", (long long)p->n,
                        (long long)(p->offset_group * taps), (long long)p->oh, (long long)p->ow);
    return 0;
}

static int deform_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_deform_conv_params *p = n->params;
    const dl_value *x = n->inputs[0], *w = n->inputs[1], *off = n->inputs[2];
    int64_t ks[2], dims[4];
    (void)g;
    if (x->rank != 4 || w->rank != 4)
        return dl_error(d, n, "inputs X and W have ranks %d and %d; only 2-D DeformConv (rank 4) is supported",
                        x->rank, w->rank);
    if (image_ints(n, d, "kernel_shape", 2, 0, 1, ks) < 0)
        return -1;
    p->kh = dl_attr_find(n, "kernel_shape") != NULL ? ks[0] : w->dims[2];
    p->kw = dl_attr_find(n, "kernel_shape") != NULL ? ks[1] : w->dims[3];
    if (p->kh != w->dims[2] || p->kw != w->dims[3])
        return dl_error(d, n, "attribute 'kernel_shape' does not match W's spatial dims");
    p->n = x->dims[0];
    p->c = x->dims[1];
    p->h = x->dims[2];
    p->w = x->dims[3];
    p->oc = w->dims[0];
    p->oh = (p->h + p->pads[0] + p->pads[2] - ((p->kh - 1) * p->dilations[0] + 1)) / p->strides[0] + 1;
    p->ow = (p->w + p->pads[1] + p->pads[3] - ((p->kw - 1) * p->dilations[1] + 1)) / p->strides[1] + 1;
    if (deform_check(n, d, p) < 0)
        return -1;
    if (off->dims[2] != p->oh || off->dims[3] != p->ow)
        return dl_error(d, n, "input 'offset' has spatial dims %lldx%lld; expected %lldx%lld",
                        (long long)off->dims[2], (long long)off->dims[3], (long long)p->oh, (long long)p->ow);
    dims[0] = p->n;
    dims[1] = p->oc;
    dims[2] = p->oh;
    dims[3] = p->ow;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, 4, dims);
    return 0;
}

static int deform_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *b = deform_input(n, 3), *m = deform_input(n, 4);
    (void)g;
    (void)d;
    dlk_deform_conv_f32(n->params, n->inputs[0]->data, n->inputs[1]->data, n->inputs[2]->data,
                        b != NULL ? b->data : NULL, m != NULL ? m->data : NULL, n->outputs[0]->data);
    return 0;
}

static int deform_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_deform_conv_params *p = n->params;
    (void)g;
    (void)d;
    dl_lower_need(l, "dlk_deform_conv_f32");
    dl_lower_params_begin(l, "dlk_deform_conv_params");
    dl_lower_param_int(l, "n", p->n);
    dl_lower_param_int(l, "c", p->c);
    dl_lower_param_int(l, "h", p->h);
    dl_lower_param_int(l, "w", p->w);
    dl_lower_param_int(l, "oc", p->oc);
    dl_lower_param_int(l, "oh", p->oh);
    dl_lower_param_int(l, "ow", p->ow);
    dl_lower_param_int(l, "kh", p->kh);
    dl_lower_param_int(l, "kw", p->kw);
    dl_lower_param_int(l, "group", p->group);
    dl_lower_param_int(l, "offset_group", p->offset_group);
    dl_lower_param_ints(l, "pads", p->pads, 4);
    dl_lower_param_ints(l, "strides", p->strides, 2);
    dl_lower_param_ints(l, "dilations", p->dilations, 2);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_deform_conv_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->inputs[2]);
    dl_lower_arg_value(l, deform_input(n, 3));
    dl_lower_arg_value(l, deform_input(n, 4));
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_DeformConv = {"DeformConv", 0, deform_setup, deform_infer, deform_eval, deform_lower};

/* --------------------------------------------------------------- MaxUnpool */

static int unpool_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_max_unpool_params *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_attr_find(n, "kernel_shape") == NULL)
        return dl_error(d, n, "attribute 'kernel_shape' is required");
    return dl_check_inputs(d, n, 2, 3);
}

/* The pooled (inferred) shape from X and the attributes. */
static int unpool_pooled(dl_node *n, dl_diag *d, dlk_max_unpool_params *p)
{
    const dl_value *x = n->inputs[0];
    const int r = x->rank - 2;
    int64_t ks[DL_MAX_RANK], strides[DL_MAX_RANK], pads[2 * DL_MAX_RANK];
    int a;
    if (image_ints(n, d, "kernel_shape", r, 1, 1, ks) < 0 || image_ints(n, d, "strides", r, 1, 1, strides) < 0 ||
        image_ints(n, d, "pads", 2 * r, 0, 0, pads) < 0)
        return -1;
    p->pooled[0] = x->dims[0];
    p->pooled[1] = x->dims[1];
    for (a = 0; a < r; a++) {
        p->pooled[a + 2] = (x->dims[a + 2] - 1) * strides[a] - (pads[a] + pads[r + a]) + ks[a];
        if (p->pooled[a + 2] < 1)
            return dl_error(d, n, "the unpooled size along spatial axis %d is %lld; expected >= 1", a,
                            (long long)p->pooled[a + 2]);
    }
    return 0;
}

static int unpool_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_max_unpool_params *p = n->params;
    const dl_value *x = n->inputs[0], *ind = n->inputs[1];
    const dl_value *shape = n->n_inputs > 2 ? n->inputs[2] : NULL;
    int a, count;
    (void)g;
    if (x->rank < 3 || dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input 'X' (%s, rank %d) is not supported; expected rank >= 3",
                        dl_dtype_name(x->dtype), x->rank);
    if (ind->dtype != DL_INT64 || dl_value_numel(ind) != dl_value_numel(x))
        return dl_error(d, n, "input 'I' must be int64 with X's shape");
    memset(p, 0, sizeof *p);
    p->rank = x->rank;
    p->elem_size = (int64_t)dl_dtype_size(x->dtype);
    p->count = dl_value_numel(x);
    if (unpool_pooled(n, d, p) < 0)
        return -1;
    memcpy(p->out_dims, p->pooled, sizeof p->out_dims);
    if (shape != NULL && dl_value_numel(shape) > 0) {
        count = dl_const_ints(d, n, shape, "input output_shape", p->out_dims, DL_MAX_RANK);
        if (count < 0)
            return -1;
        if (count != x->rank)
            return dl_error(d, n, "input 'output_shape' has %d values; expected %d", count, x->rank);
        for (a = 0; a < x->rank; a++)
            if (p->out_dims[a] < p->pooled[a])
                return dl_error(d, n, "output_shape[%d] = %lld is smaller than the unpooled size %lld; "
                                "this is not supported", a, (long long)p->out_dims[a], (long long)p->pooled[a]);
    }
    dl_value_set_shape(n->outputs[0], x->dtype, x->rank, p->out_dims);
    return 0;
}

static int unpool_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    (void)g;
    (void)d;
    dlk_max_unpool(n->params, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    return 0;
}

static int unpool_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const dlk_max_unpool_params *p = n->params;
    (void)g;
    (void)d;
    dl_lower_need(l, "dlk_max_unpool");
    dl_lower_params_begin(l, "dlk_max_unpool_params");
    dl_lower_param_int(l, "rank", p->rank);
    dl_lower_param_int(l, "elem_size", p->elem_size);
    dl_lower_param_int(l, "count", p->count);
    dl_lower_param_ints(l, "pooled", p->pooled, (int)p->rank);
    dl_lower_param_ints(l, "out_dims", p->out_dims, (int)p->rank);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_max_unpool");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_MaxUnpool = {"MaxUnpool", 0, unpool_setup, unpool_infer, unpool_eval, unpool_lower};
