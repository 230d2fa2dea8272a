/* Normalisations: LayerNormalization, RMSNormalization, GroupNormalization,
 * InstanceNormalization, LpNormalization and MeanVarianceNormalization
 * (float32). setup reads the attributes, infer checks the inputs and
 * computes the kernel's view (nz_view), which eval and lower both use. */
#include <string.h>

#include "ir/ops/op.h"
#include "kernels/normalize.h"

typedef enum nz_kind { NZ_LAYER, NZ_RMS, NZ_GROUP, NZ_INSTANCE, NZ_LP, NZ_MVN } nz_kind;

typedef struct nz_params {
    nz_kind kind;
    int64_t axis;          /* LayerNorm, RMSNorm, LpNorm: as written */
    float eps;
    int64_t p;             /* LpNorm */
    int64_t groups;        /* GroupNorm */
    int64_t axes[DL_MAX_RANK];   /* MVN, as written */
    int n_axes;
    /* Set by infer. */
    int64_t outer, mid, inner;   /* rows: outer x inner (Layer/RMS), outer x mid x inner (Lp) */
    int64_t scale_n, bias_n;
    int64_t batch, channels, spatial;
    dlk_mvn_params mvn;
} nz_params;

static nz_kind nz_kind_of(const char *op_type)
{
    if (strcmp(op_type, "LayerNormalization") == 0)
        return NZ_LAYER;
    if (strcmp(op_type, "RMSNormalization") == 0)
        return NZ_RMS;
    if (strcmp(op_type, "GroupNormalization") == 0)
        return NZ_GROUP;
    if (strcmp(op_type, "InstanceNormalization") == 0)
        return NZ_INSTANCE;
    if (strcmp(op_type, "LpNormalization") == 0)
        return NZ_LP;
    return NZ_MVN;
}

static int mvn_axes_setup(dl_diag *d, dl_node *n, nz_params *np)
{
    static const int64_t dflt[3] = {0, 2, 3};
    const int64_t *axes = dflt;
    int count = dl_attr_ints(n, "axes", &axes);
    if (count < 0) {
        axes = dflt;
        count = 3;
    }
    if (count > DL_MAX_RANK)
        return dl_error(d, n, "attribute axes has %d entries; at most %d are supported", count, DL_MAX_RANK);
    memcpy(np->axes, axes, (size_t)count * sizeof *axes);
    np->n_axes = count;
    return 0;
}

static int nz_setup(dl_graph *g, dl_node *n, dl_diag *d)
{
    nz_params *np = dl_node_params(g, n, sizeof *np);
    if (!np)
        return dl_error(d, n, "out of memory");
    np->kind = nz_kind_of(n->op_type);
    np->axis = dl_attr_int(n, "axis", -1);
    np->eps = dl_attr_float(n, "epsilon", 1e-5f);
    np->p = dl_attr_int(n, "p", 2);
    if (np->kind == NZ_LP && np->p != 1 && np->p != 2)
        return dl_error(d, n, "attribute p is %lld; expected 1 or 2", (long long)np->p);
    if (np->kind == NZ_GROUP) {
        if (!dl_attr_find(n, "num_groups"))
            return dl_error(d, n, "attribute num_groups is missing; GroupNormalization needs it");
        np->groups = dl_attr_int(n, "num_groups", 1);
        if (np->groups <= 0)
            return dl_error(d, n, "attribute num_groups is %lld; expected > 0", (long long)np->groups);
    }
    if (np->kind == NZ_MVN)
        return mvn_axes_setup(d, n, np);
    return 0;
}

static int64_t dims_prod(const dl_value *v, int from, int to)
{
    int64_t p = 1;
    int k;
    for (k = from; k < to; k++)
        p *= v->dims[k];
    return p;
}

/* s (scale or bias of Layer/RMSNorm) must broadcast to x's dims from axis
 * on the way the kernel reads it (j % numel): leading 1s, then exactly the
 * trailing dims of x. */
static int row_operand(dl_diag *d, const dl_node *n, int i, int axis, int64_t *numel)
{
    const dl_value *x = n->inputs[0], *s = n->inputs[i];
    int k = 0, t, m;
    if (dl_check_dtype(d, n, s, i == 1 ? "input 1 (scale)" : "input 2 (bias)", DL_FLOAT) != 0)
        return -1;
    while (k < s->rank && s->dims[k] == 1)
        k++;
    t = s->rank - k;   /* the dims after the leading 1s line up with x's last t dims */
    if (t > x->rank - axis)
        goto bad;
    for (m = 0; m < t; m++)
        if (s->dims[k + m] != x->dims[x->rank - t + m])
            goto bad;
    *numel = dl_value_numel(s);
    return 0;
bad:
    return dl_error(d, n, "input %d ('%s') has rank %d; expected a shape that broadcasts to input 0's dims "
                    "from axis %d on (not supported otherwise)", i, s->name, s->rank, axis);
}

static int layer_infer(dl_diag *d, dl_node *n, nz_params *np, int axis)
{
    const dl_value *x = n->inputs[0];
    int64_t dims[DL_MAX_RANK];
    int k, i;
    np->outer = dims_prod(x, 0, axis);
    np->inner = dims_prod(x, axis, x->rank);
    if (row_operand(d, n, 1, axis, &np->scale_n) != 0)
        return -1;
    np->bias_n = 1;
    if (np->kind == NZ_LAYER && n->n_inputs > 2 && n->inputs[2] && row_operand(d, n, 2, axis, &np->bias_n) != 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, x->dims);
    for (k = 0; k < x->rank; k++)
        dims[k] = k < axis ? x->dims[k] : 1;
    for (i = 1; i < n->n_outputs && i < 3; i++)
        if (n->outputs[i])
            dl_value_set_shape(n->outputs[i], DL_FLOAT, x->rank, dims);
    return 0;
}

/* One value per channel (or per group for GroupNormalization-18). */
static int channel_operand(dl_diag *d, const dl_node *n, int i, int64_t want, const char *per)
{
    const dl_value *s = n->inputs[i];
    if (!s)
        return dl_error(d, n, "input %d is missing; %s needs it", i, n->op_type);
    if (dl_check_dtype(d, n, s, i == 1 ? "input 1 (scale)" : "input 2 (bias)", DL_FLOAT) != 0)
        return -1;
    if (dl_value_numel(s) != want)
        return dl_error(d, n, "input %d ('%s') has %lld elements; expected %lld (one per %s)", i, s->name,
                        (long long)dl_value_numel(s), (long long)want, per);
    return 0;
}

static int group_infer(dl_diag *d, dl_node *n, nz_params *np)
{
    const dl_value *x = n->inputs[0];
    bool per_group = np->kind == NZ_GROUP && n->opset < 21;
    if (dl_check_inputs(d, n, 3, 3) != 0)
        return -1;
    if (x->rank < 2)
        return dl_error(d, n, "input 0 ('%s') has rank %d; expected at least 2 (N, C, ...)", x->name, x->rank);
    np->batch = x->dims[0];
    np->channels = x->dims[1];
    np->spatial = dims_prod(x, 2, x->rank);
    if (np->kind == NZ_INSTANCE)
        np->groups = np->channels;
    if (np->channels % np->groups != 0)
        return dl_error(d, n, "input 0 ('%s') has %lld channels, not a multiple of num_groups %lld", x->name,
                        (long long)np->channels, (long long)np->groups);
    if (channel_operand(d, n, 1, per_group ? np->groups : np->channels, per_group ? "group" : "channel") != 0 ||
        channel_operand(d, n, 2, per_group ? np->groups : np->channels, per_group ? "group" : "channel") != 0)
        return -1;
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, x->dims);
    return 0;
}

static int mvn_infer(dl_diag *d, dl_node *n, nz_params *np)
{
    const dl_value *x = n->inputs[0];
    int k, ax;
    memset(&np->mvn, 0, sizeof np->mvn);
    np->mvn.rank = x->rank;
    for (k = 0; k < x->rank; k++)
        np->mvn.dims[k] = x->dims[k];
    for (k = 0; k < np->n_axes; k++) {
        if (dl_norm_axis(d, n, np->axes[k], x->rank, &ax) != 0)
            return -1;
        np->mvn.reduce[ax] = 1;
    }
    dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, x->dims);
    return 0;
}

static int nz_infer(dl_graph *g, dl_node *n, dl_diag *d)
{
    nz_params *np = n->params;
    const dl_value *x;
    int axis;
    (void)g;
    if (dl_check_inputs(d, n, 1, 3) != 0)
        return -1;
    x = n->inputs[0];
    if (!x)
        return dl_error(d, n, "input 0 is missing; %s needs it", n->op_type);
    if (x->rank < 0)
        return dl_error(d, n, "input 0 ('%s') has no known shape", x->name);
    if (n->n_outputs < 1)
        return dl_error(d, n, "no output; %s has one", n->op_type);
    if (x->dtype != DL_FLOAT)
        return dl_error(d, n, "input 0 ('%s') is %s, not supported; %s supports float32", x->name,
                        dl_dtype_name(x->dtype), n->op_type);
    switch (np->kind) {
    case NZ_LAYER:
    case NZ_RMS:
        if (dl_check_inputs(d, n, 2, np->kind == NZ_LAYER ? 3 : 2) != 0)
            return -1;
        if (!n->inputs[1])
            return dl_error(d, n, "input 1 (scale) is missing; %s needs it", n->op_type);
        if (dl_norm_axis(d, n, np->axis, x->rank, &axis) != 0)
            return -1;
        return layer_infer(d, n, np, axis);
    case NZ_GROUP:
    case NZ_INSTANCE:
        return group_infer(d, n, np);
    case NZ_LP:
        if (dl_check_inputs(d, n, 1, 1) != 0 || dl_norm_axis(d, n, np->axis, x->rank, &axis) != 0)
            return -1;
        np->outer = dims_prod(x, 0, axis);
        np->mid = x->dims[axis];
        np->inner = dims_prod(x, axis + 1, x->rank);
        dl_value_set_shape(n->outputs[0], DL_FLOAT, x->rank, x->dims);
        return 0;
    case NZ_MVN:
        if (dl_check_inputs(d, n, 1, 1) != 0)
            return -1;
        return mvn_infer(d, n, np);
    }
    return 0;
}

/* An optional output that something reads (a user node or the graph). */
static bool nz_used(const dl_node *n, int i)
{
    const dl_value *v = i < n->n_outputs ? n->outputs[i] : NULL;
    return v != NULL && (v->n_users > 0 || v->is_output);
}

static const void *in_data(const dl_node *n, int i)
{
    return i < n->n_inputs && n->inputs[i] ? n->inputs[i]->data : NULL;
}

static int nz_eval(dl_graph *g, dl_node *n, dl_diag *d)
{
    const nz_params *np = n->params;
    const float *x = n->inputs[0]->data;
    float *y = n->outputs[0]->data;
    (void)g;
    (void)d;
    switch (np->kind) {
    case NZ_LAYER:
        dlk_layer_norm_f32(x, in_data(n, 1), in_data(n, 2), y, n->n_outputs > 1 ? n->outputs[1]->data : NULL,
                           n->n_outputs > 2 ? n->outputs[2]->data : NULL, np->outer, np->inner, np->scale_n,
                           np->bias_n, np->eps);
        break;
    case NZ_RMS:
        dlk_rms_norm_f32(x, in_data(n, 1), y, np->outer, np->inner, np->scale_n, np->eps);
        break;
    case NZ_GROUP:
    case NZ_INSTANCE:
        dlk_group_norm_f32(x, in_data(n, 1), in_data(n, 2), y, np->batch, np->channels, np->groups, np->spatial,
                           np->kind == NZ_GROUP && n->opset < 21, np->eps);
        break;
    case NZ_LP:
        dlk_lp_norm_f32(x, y, np->outer, np->mid, np->inner, np->p);
        break;
    case NZ_MVN:
        dlk_mvn_f32(&np->mvn, x, y);
        break;
    }
    return 0;
}

static void lower_layer(const dl_node *n, const nz_params *np, dl_lower *l)
{
    const char *k = np->kind == NZ_LAYER ? "dlk_layer_norm_f32" : "dlk_rms_norm_f32";
    dl_lower_need(l, k);
    dl_lower_call(l, k);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    if (np->kind == NZ_LAYER)
        dl_lower_arg_value(l, n->n_inputs > 2 ? n->inputs[2] : NULL);
    dl_lower_arg_value(l, n->outputs[0]);
    if (np->kind == NZ_LAYER) {
        dl_lower_arg_value(l, nz_used(n, 1) ? n->outputs[1] : NULL);
        dl_lower_arg_value(l, nz_used(n, 2) ? n->outputs[2] : NULL);
    }
    dl_lower_arg_int(l, np->outer);
    dl_lower_arg_int(l, np->inner);
    dl_lower_arg_int(l, np->scale_n);
    if (np->kind == NZ_LAYER)
        dl_lower_arg_int(l, np->bias_n);
    dl_lower_arg_float(l, np->eps);
    dl_lower_call_end(l);
}

static void lower_group(const dl_node *n, const nz_params *np, dl_lower *l)
{
    dl_lower_need(l, "dlk_group_norm_f32");
    dl_lower_call(l, "dlk_group_norm_f32");
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->inputs[1]);
    dl_lower_arg_value(l, n->inputs[2]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, np->batch);
    dl_lower_arg_int(l, np->channels);
    dl_lower_arg_int(l, np->groups);
    dl_lower_arg_int(l, np->spatial);
    dl_lower_arg_int(l, np->kind == NZ_GROUP && n->opset < 21);
    dl_lower_arg_float(l, np->eps);
    dl_lower_call_end(l);
}

static void lower_lp(const dl_node *n, const nz_params *np, dl_lower *l)
{
    dl_lower_need(l, "dlk_lp_norm_f32");
    dl_lower_call(l, "dlk_lp_norm_f32");
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_arg_int(l, np->outer);
    dl_lower_arg_int(l, np->mid);
    dl_lower_arg_int(l, np->inner);
    dl_lower_arg_int(l, np->p);
    dl_lower_call_end(l);
}

static void lower_mvn(const dl_node *n, const nz_params *np, dl_lower *l)
{
    dl_lower_need(l, "dlk_mvn_f32");
    dl_lower_params_begin(l, "dlk_mvn_params");
    dl_lower_param_int(l, "rank", np->mvn.rank);
    dl_lower_param_ints(l, "dims", np->mvn.dims, (int)np->mvn.rank);
    dl_lower_param_ints(l, "reduce", np->mvn.reduce, (int)np->mvn.rank);
    dl_lower_params_end(l);
    dl_lower_call(l, "dlk_mvn_f32");
    dl_lower_arg_params(l);
    dl_lower_arg_value(l, n->inputs[0]);
    dl_lower_arg_value(l, n->outputs[0]);
    dl_lower_call_end(l);
}

static int nz_lower(dl_graph *g, dl_node *n, dl_lower *l, dl_diag *d)
{
    const nz_params *np = n->params;
    (void)g;
    (void)d;
    if (dl_value_numel(n->inputs[0]) == 0)
        return 0;
    switch (np->kind) {
    case NZ_LAYER:
    case NZ_RMS:
        lower_layer(n, np, l);
        break;
    case NZ_GROUP:
    case NZ_INSTANCE:
        lower_group(n, np, l);
        break;
    case NZ_LP:
        lower_lp(n, np, l);
        break;
    case NZ_MVN:
        lower_mvn(n, np, l);
        break;
    }
    return 0;
}

#define NZ_OP(name) const dl_op dl_op_##name = {#name, 0, nz_setup, nz_infer, nz_eval, nz_lower};
NZ_OP(LayerNormalization)
NZ_OP(RMSNormalization)
NZ_OP(GroupNormalization)
NZ_OP(InstanceNormalization)
NZ_OP(LpNormalization)
NZ_OP(MeanVarianceNormalization)
