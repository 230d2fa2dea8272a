/* DepthToSpace and SpaceToDepth (NCHW, modes DCR and CRD). One kernel,
 * space.h's dlk_space_depth, does both directions; any element type. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/space.h"

typedef struct space_params_t {
    int64_t block;
    bool crd;
    bool to_space;      /* DepthToSpace */
} space_params_t;

static int space_setup_dir(dl_graph *g, dl_node *n, dl_diag *d, bool to_space)
{
    space_params_t *p = dl_node_params(g, n, sizeof *p);
    const char *mode;
    if (p == NULL)
        return dl_error(d, n, "out of memory");
    if (dl_check_inputs(d, n, 1, 1) < 0)
        return -1;
    if (dl_attr_find(n, "blocksize") == NULL)
        return dl_error(d, n, "attribute 'blocksize' is missing");
    p->block = dl_attr_int(n, "blocksize", 0);
    if (p->block < 1)
        return dl_error(d, n, "attribute 'blocksize' is %lld; expected >= 1", (long long)p->block);
    mode = dl_attr_string(n, "mode", "DCR");
    if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
        return dl_error(d, n, "attribute 'mode' is '%s'; expected DCR or CRD", mode);
    p->crd = strcmp(mode, "CRD") == 0;
    p->to_space = to_space;
    return 0;
}

static int d2s_setup(dl_graph *g, dl_node *n, dl_diag *d) { return space_setup_dir(g, n, d, true); }
static int s2d_setup(dl_graph *g, dl_node *n, dl_diag *d) { return space_setup_dir(g, n, d, false); }

static int space_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    const space_params_t *p = n->params;
    const dl_value *x = n->inputs[0];
    const int64_t b = p->block;
    int64_t dims[4];
    (void)g;
    if (x->rank != 4)
        return dl_error(d, n, "input has rank %d; expected 4 (NCHW)", x->rank);
    if (dl_dtype_size(x->dtype) == 0)
        return dl_error(d, n, "input type %s is not supported", dl_dtype_name(x->dtype));
    dims[0] = x->dims[0];
    if (p->to_space) {
        if (x->dims[1] % (b * b) != 0)
            return dl_error(d, n, "input channels %lld are not a multiple of blocksize^2 = %lld",
                            (long long)x->dims[1], (long long)(b * b));
        dims[1] = x->dims[1] / (b * b);
        dims[2] = x->dims[2] * b;
        dims[3] = x->dims[3] * b;
    } else {
        if (x->dims[2] % b != 0 || x->dims[3] % b != 0)
            return dl_error(d, n, "input spatial dims %lldx%lld are not multiples of blocksize %lld",
                            (long long)x->dims[2], (long long)x->dims[3], (long long)b);
        dims[1] = x->dims[1] * b * b;
        dims[2] = x->dims[2] / b;
        dims[3] = x->dims[3] / b;
    }
    dl_value_set_shape(n->outputs[0], x->dtype, 4, dims);
    return 0;
}

static void space_make_params(const dl_node *n, dlk_space_params *k)
{
    const space_params_t *p = n->params;
    const dl_value *depth = p->to_space ? n->inputs[0] : n->outputs[0];
    memset(k, 0, sizeof *k);
    k->n = depth->dims[0];
    k->c = depth->dims[1] / (p->block * p->block);
    k->h = depth->dims[2];
    k->w = depth->dims[3];
    k->block = p->block;
    k->crd = p->crd;
    k->elem_size = (int64_t)dl_dtype_size(depth->dtype);
    k->to_space = p->to_space;
}

static int space_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    dlk_space_params k;
    (void)g;
    (void)d;
    space_make_params(n, &k);
    dlk_space_depth(&k, n->inputs[0]->data, n->outputs[0]->data);
    return 0;
}

static int space_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    dlk_space_params k;
    (void)g;
    (void)d;
    space_make_params(n, &k);
    dl_lower_need(l, "dlk_space_depth");
    dl_lower_params_begin(l, "dlk_space_params");
    dl_lower_param_int(l, "n", k.n);
    dl_lower_param_int(l, "c", k.c);
    dl_lower_param_int(l, "h", k.h);
    dl_lower_param_int(l, "w", k.w);
    dl_lower_param_int(l, "block", k.block);
    dl_lower_param_int(l, "crd", k.crd);
    dl_lower_param_int(l, "elem_size", k.elem_size);
    dl_lower_param_int(l, "to_space", k.to_space);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_space_depth");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
    return 0;
}

const dl_op dl_op_DepthToSpace = {"DepthToSpace", 0, d2s_setup, space_infer, space_eval, space_lower};
const dl_op dl_op_SpaceToDepth = {"SpaceToDepth", 0, s2d_setup, space_infer, space_eval, space_lower};
