/* GridSample (opsets 16, 20, 22) and AffineGrid (20).
 *
 * GridSample-16 names its modes bilinear/nearest/bicubic and takes 4-D X;
 * 20 renames them linear/nearest/cubic and allows any number of spatial
 * axes; 22 adds types only. Both spellings are accepted at every version.
 * AffineGrid's `size` input decides the output shape, so it must be a
 * constant. Float32 only. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/sample.h"

typedef struct grid_sample_params_t {
    int mode;           /* DLK_GS_* */
    int padding;        /* DLK_GS_ZEROS ... */
    bool align_corners;
} grid_sample_params_t;

static int sample_flag(dl_node *n, dl_diag *d, const char *name, bool *out)
{
    const int64_t v = dl_attr_int(n, name, 0);
    if (v != 0 && v != 1)
        return dl_error(d, n, "attribute '%s' is %lld; expected 0 or 1", name, (long long)v);
    *out = v == 1;
    return 0;
}

static int grid_sample_mode(dl_node *n, dl_diag *d, int *out)
{
    const char *s = dl_attr_string(n, "mode", n->opset >= 20 ? "linear" : "bilinear");
    if (strcmp(s, "nearest") == 0)
        *out = DLK_GS_NEAREST;
    else if (strcmp(s, "linear") == 0 || strcmp(s, "bilinear") == 0)
        *out = DLK_GS_LINEAR;
    else if (strcmp(s, "cubic") == 0 || strcmp(s, "bicubic") == 0)
        *out = DLK_GS_CUBIC;
    else
        return dl_error(d, n, "attribute 'mode' is '%s'; expected %s", s,
                        n->opset >= 20 ? "linear, nearest or cubic" : "bilinear, nearest or bicubic");
    return 0;
}

static int grid_sample_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    grid_sample_params_t *p = dl_node_params(g, n, sizeof *p);
    const char *pad;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 2, 2) < 0 || grid_sample_mode(n, d, &p->mode) < 0)
        return -1;
    pad = dl_attr_string(n, "padding_mode", "zeros");
    if (strcmp(pad, "zeros") == 0)
        p->padding = DLK_GS_ZEROS;
    else if (strcmp(pad, "border") == 0)
        p->padding = DLK_GS_BORDER;
    else if (strcmp(pad, "reflection") == 0)
        p->padding = DLK_GS_REFLECTION;
    else
        return dl_error(d, n, "attribute 'padding_mode' is '%s'; expected zeros, border or reflection", pad);
    return sample_flag(n, d, "align_corners", &p->align_corners);
}

static int grid_sample_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const dl_value *x = n->inputs[0], *grid = n->inputs[1];
    int64_t dims[DL_MAX_RANK];
    int i;
    (void)g;
    if (x->dtype != DL_FLOAT || grid->dtype != DL_FLOAT)
        return dl_error(d, n, "inputs X and grid are %s and %s; only float32 is supported",
                        dl_dtype_name(x->dtype), dl_dtype_name(grid->dtype));
    if (x->rank < 3 || (n->opset < 20 && x->rank != 4))
        return dl_error(d, n, "input 'X' has rank %d; expected %s", x->rank, n->opset < 20 ? "4" : ">= 3");
    if (grid->rank != x->rank || grid->dims[0] != x->dims[0] || grid->dims[x->rank - 1] != x->rank - 2)
        return dl_error(d, n, "input 'grid' must have shape (N, spatial dims..., %d) with N = %lld",
                        x->rank - 2, (long long)x->dims[0]);
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (i = 2; i < x->rank; i++)
        dims[i] = grid->dims[i - 1];
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, dims);
    return 0;
}

static void grid_sample_make_params(const dl_node *n, dlk_grid_sample_params *k)
{
    const grid_sample_params_t *p = n->params;
    const dl_value *x = n->inputs[0], *y = n->outputs[0];
    int i;
    memset(k, 0, sizeof *k);
    k->n = x->dims[0];
    k->c = x->dims[1];
    k->r = x->rank - 2;
    for (i = 0; i < k->r; i++) {
        k->in_dims[i] = x->dims[i + 2];
        k->out_dims[i] = y->dims[i + 2];
    }
    k->mode = p->mode;
    k->padding = p->padding;
    k->align_corners = p->align_corners;
}

static int grid_sample_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_grid_sample_params k;
    (void)g;
    (void)d;
    grid_sample_make_params(n, &k);
    dlk_grid_sample_f32(&k, n->inputs[0]->data, n->inputs[1]->data, n->outputs[0]->data);
    return 0;
}

static int grid_sample_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_grid_sample_params k;
    (void)g;
    (void)d;
    grid_sample_make_params(n, &k);
    dl_lower_need(l, "dlk_grid_sample_f32");
    dl_lower_params_begin(l, "dlk_grid_sample_params");
    dl_lower_param_int(l, "n", k.n);
    dl_lower_param_int(l, "c", k.c);
    dl_lower_param_int(l, "r", k.r);
    dl_lower_param_ints(l, "in_dims", k.in_dims, (int)k.r);
    dl_lower_param_ints(l, "out_dims", k.out_dims, (int)k.r);
    dl_lower_param_int(l, "mode", k.mode);
    dl_lower_param_int(l, "padding", k.padding);
    dl_lower_param_int(l, "align_corners", k.align_corners);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_grid_sample_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_GridSample = {"GridSample", 0, grid_sample_setup, grid_sample_infer, grid_sample_eval,
                                grid_sample_lower};

/* -------------------------------------------------------------- AffineGrid */

typedef struct affine_grid_params_t {
    bool align_corners;
    int64_t size[5];    /* N, C, then H, W or D, H, W */
} affine_grid_params_t;

static int affine_grid_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    affine_grid_params_t *p = dl_node_params(g, n, sizeof *p);
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 2, 2) < 0)
        return -1;
    return sample_flag(n, d, "align_corners", &p->align_corners);
}

static int affine_grid_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    affine_grid_params_t *p = n->params;
    const dl_value *theta = n->inputs[0];
    int64_t dims[5];
    int count, r, i;
    (void)g;
    if (theta->dtype != DL_FLOAT)
        return dl_error(d, n, "input 'theta' is %s; only float32 is supported", dl_dtype_name(theta->dtype));
    count = dl_const_ints(d, n, n->inputs[1], "input size", p->size, 5);
    if (count < 0)
        return -1;
    if (count != 4 && count != 5)
        return dl_error(d, n, "input 'size' has %d values; expected 4 (N, C, H, W) or 5 (N, C, D, H, W)", count);
    r = count - 2;
    if (theta->rank != 3 || theta->dims[0] != p->size[0] || theta->dims[1] != r || theta->dims[2] != r + 1)
        return dl_error(d, n, "input 'theta' must have shape (%lld, %d, %d) for a size of %d values",
                        (long long)p->size[0], r, r + 1, count);
    dims[0] = p->size[0];
    for (i = 0; i < r; i++) {
        if (p->size[i + 2] < 1)
            return dl_error(d, n, "size[%d] is %lld; expected >= 1", i + 2, (long long)p->size[i + 2]);
        dims[i + 1] = p->size[i + 2];
    }
    dims[r + 1] = r;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, r + 2, dims);
    return 0;
}

static void affine_grid_make_params(const dl_node *n, dlk_affine_grid_params *k)
{
    const affine_grid_params_t *p = n->params;
    const dl_value *y = n->outputs[0];
    int i;
    memset(k, 0, sizeof *k);
    k->n = y->dims[0];
    k->r = y->rank - 2;
    for (i = 0; i < k->r; i++)
        k->dims[i] = p->size[i + 2];
    k->align_corners = p->align_corners;
}

static int affine_grid_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_affine_grid_params k;
    (void)g;
    (void)d;
    affine_grid_make_params(n, &k);
    dlk_affine_grid_f32(&k, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int affine_grid_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_affine_grid_params k;
    (void)g;
    (void)d;
    affine_grid_make_params(n, &k);
    dl_lower_need(l, "dlk_affine_grid_f32");
    dl_lower_params_begin(l, "dlk_affine_grid_params");
    dl_lower_param_int(l, "n", k.n);
    dl_lower_param_int(l, "r", k.r);
    dl_lower_param_ints(l, "dims", k.dims, (int)k.r);
    dl_lower_param_int(l, "align_corners", k.align_corners);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_affine_grid_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_AffineGrid = {"AffineGrid", 0, affine_grid_setup, affine_grid_infer, affine_grid_eval,
                                affine_grid_lower};
