/* The ONNX loader: decodes a ModelProto with protobuf-c and turns its graph
 * into IR. Checks run before anything is built: the IR version, the opset,
 * operator domains and support; then initializers, graph inputs (with their
 * shapes bound), nodes and attributes, node inputs and graph outputs. Every
 * phase reports all of its errors before the load gives up. */
#define _XOPEN_SOURCE 700 /* fstat */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dlrt.h"
#include "frontend/frontend.h"
#include "ir/ops/op.h"
#include "onnx.pb-c.h"

/* ----------------------------------------------------------------- opsets */

/* Models up to the newest opset in ir/ops/schema_versions.def load; each node
 * is then held to the schema versions its op implements (dl_semantic_version). */
int dl_max_supported_opset(void) { return dl_schema_newest_opset(); }

/* Opset 6 is what the PyTorch-converted ONNX test models use; the op files handle its
 * legacy attributes (broadcast/axis, Gemm broadcast, BatchNormalization spatial). */
int dl_min_supported_opset(void) { return 6; }

/* ----------------------------------------------------------------- loader */

/* Tensor names to values, for the load only (names are unique by then). */
typedef struct name_map {
    dl_value **slots;
    size_t cap; /* a power of two */
} name_map;

typedef struct loader {
    const char *path;
    dl_diag *d;
    const dl_load_options *opt;
    const Onnx__GraphProto *gp;
    dl_graph *g;
    char *model_dir; /* external data is relative to it */
    size_t model_dir_size;
    name_map names;
    int opset;
    int64_t preview_opset;  /* the ai.onnx.preview version imported, or 0 */
    int errors;             /* errors this load reported */
    bool pb_out_of_memory;  /* protobuf-c's allocation failed, not its parse */
} loader;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int ld_error(loader *ld, const dl_node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dl_verror(ld->d, n, fmt, ap);
    va_end(ap);
    ld->errors++;
    return -1;
}

/* A helper already reported into ld->d. */
static int ld_failed(loader *ld)
{
    ld->errors++;
    return -1;
}

static int ld_out_of_memory(loader *ld)
{
    dl_onnx_out_of_memory(ld->d);
    return ld_failed(ld);
}

/* dl_error's node form for a NodeProto that has no dl_node yet. */
static dl_node proto_node(const Onnx__NodeProto *np)
{
    dl_node n;
    memset(&n, 0, sizeof n);
    n.name = np->name ? np->name : "";
    n.op_type = np->op_type ? np->op_type : "?";
    return n;
}

static bool is_default_domain(const char *domain)
{
    return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* ---------------------------------------------------------- string buffer */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->failed || n < 0) {
        b->failed = true;
        return;
    }
    size_t need = b->len + (size_t)n + 1;
    if (need > b->cap) {
        size_t cap = need < 64 ? 128 : 2 * need;
        char *p = dl_realloc(b->p, b->cap, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_free(sbuf *b) { dl_free(b->p, b->cap); }

/* --------------------------------------------------------------- name map */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int names_init(loader *ld)
{
    const Onnx__GraphProto *gp = ld->gp;
    size_t count = gp->n_initializer + gp->n_input;
    for (size_t i = 0; i < gp->n_node; i++)
        count += gp->node[i]->n_output;
    size_t cap = 16;
    while (cap < 2 * count + 1)
        cap *= 2;
    ld->names.slots = dl_malloc(cap * sizeof(dl_value *));
    if (!ld->names.slots)
        return ld_out_of_memory(ld);
    memset(ld->names.slots, 0, cap * sizeof(dl_value *));
    ld->names.cap = cap;
    return 0;
}

static dl_value **names_slot(const name_map *m, const char *name)
{
    size_t i = (size_t)hash_name(name) & (m->cap - 1);
    while (m->slots[i] && strcmp(m->slots[i]->name, name) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static dl_value *names_find(const loader *ld, const char *name) { return *names_slot(&ld->names, name); }

/* The map was sized for every name the graph can define, so it never fills. */
static void names_put(loader *ld, dl_value *v) { *names_slot(&ld->names, v->name) = v; }

/* ------------------------------------------------------------ the file */

static int read_model_file(loader *ld, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(ld->path, "rb");
    if (!f)
        return ld_error(ld, NULL, "cannot open the model file: %s", strerror(errno));
    struct stat st;
    int rc = 0;
    *buf = NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = ld_error(ld, NULL, "cannot read the model: it is not a regular file");
    else if (st.st_size == 0)
        rc = ld_error(ld, NULL, "not a valid ONNX model: the file is empty");
    else if ((uint64_t)st.st_size > SIZE_MAX)
        rc = ld_error(ld, NULL, "the model file is too large for this machine");
    else if (!(*buf = dl_malloc((size_t)st.st_size)))
        rc = ld_out_of_memory(ld);
    else if (fread(*buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        rc = ld_error(ld, NULL, "cannot read the model file: %s",
                      ferror(f) ? strerror(errno) : "unexpected end of file");
        dl_free(*buf, (size_t)st.st_size);
        *buf = NULL;
    }
    *len = (size_t)st.st_size;
    fclose(f);
    return rc;
}

static int set_model_dir(loader *ld)
{
    const char *slash = strrchr(ld->path, '/');
    const char *dir = slash ? ld->path : ".";
    size_t n = !slash ? 1 : slash == ld->path ? 1 : (size_t)(slash - ld->path);
    ld->model_dir = dl_malloc(n + 1);
    if (!ld->model_dir)
        return ld_out_of_memory(ld);
    memcpy(ld->model_dir, dir, n);
    ld->model_dir[n] = 0;
    ld->model_dir_size = n + 1;
    return 0;
}

/* protobuf-c allocates through dl_malloc too; its free() gives no size, so
 * each block carries its size in an aligned header. */
#define PB_HEADER (_Alignof(max_align_t) > sizeof(size_t) ? _Alignof(max_align_t) : sizeof(size_t))

static void *pb_alloc(void *ctx, size_t size)
{
    unsigned char *p = size <= SIZE_MAX - PB_HEADER ? dl_malloc(size + PB_HEADER) : NULL;
    if (!p) {
        ((loader *)ctx)->pb_out_of_memory = true;
        return NULL;
    }
    memcpy(p, &size, sizeof size);
    return p + PB_HEADER;
}

static void pb_free(void *ctx, void *ptr)
{
    (void)ctx;
    if (!ptr)
        return;
    unsigned char *p = (unsigned char *)ptr - PB_HEADER;
    size_t size;
    memcpy(&size, p, sizeof size);
    dl_free(p, size + PB_HEADER);
}

static Onnx__ModelProto *decode_model(loader *ld, ProtobufCAllocator *pa)
{
    uint8_t *buf;
    size_t len = 0;
    if (read_model_file(ld, &buf, &len))
        return NULL;
    Onnx__ModelProto *m = onnx__model_proto__unpack(pa, len, buf);
    dl_free(buf, len);
    if (!m && ld->pb_out_of_memory)
        ld_out_of_memory(ld);
    else if (!m)
        ld_error(ld, NULL, "not a valid ONNX model: protobuf decoding failed (truncated or not an ONNX file)");
    return m;
}

/* ---------------------------------------------------------------- checks */

static int check_model(loader *ld, const Onnx__ModelProto *m)
{
    if (!m->has_ir_version || m->ir_version < 1)
        return ld_error(ld, NULL, "not a valid ONNX model: it has no ir_version (truncated or not an ONNX file?)");
    /* Newer IR versions only add fields and element types: protobuf skips the fields this
       onnx.proto lacks, and tensors of unknown types are refused where they are read. */
    if (m->ir_version > dl_schema_newest_ir())
        return ld_error(ld, NULL, "the model's IR version %lld is newer than dlcc knows (IR version %d); "
                        "re-export it with an older ONNX", (long long)m->ir_version, dl_schema_newest_ir());
    if (!m->graph)
        return ld_error(ld, NULL, "not a valid ONNX model: it has no graph");
    if (m->graph->n_node == 0)
        return ld_error(ld, NULL, "the model's graph is empty: it has no nodes");
    if (m->graph->n_sparse_initializer)
        return ld_error(ld, NULL, "sparse initializers are not supported (the model has %zu)",
                        m->graph->n_sparse_initializer);
    return 0;
}

static int find_opset(loader *ld, const Onnx__ModelProto *m)
{
    int64_t version = 1; /* what a model without opset_import means (IR < 3) */
    bool declared = false;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (o->domain && strcmp(o->domain, "ai.onnx.preview") == 0 && o->has_version)
            ld->preview_opset = o->version;
        if (!is_default_domain(o->domain))
            continue;
        if (!o->has_version)
            return ld_error(ld, NULL, "opset_import of the default domain has no version");
        if (declared && o->version != version)
            return ld_error(ld, NULL, "opset_import names the default domain twice, as opsets %lld and %lld",
                            (long long)version, (long long)o->version);
        version = o->version;
        declared = true;
    }
    int lo = dl_min_supported_opset(), hi = dl_max_supported_opset();
    if (version < lo)
        return ld_error(ld, NULL, "default-domain opset %lld%s is not supported: dlcc supports opsets %d to %d "
                        "(onnx.version_converter.convert_version(model, %d) can upgrade the model)",
                        (long long)version, declared ? "" : " (the model has no opset_import)", lo, hi, hi);
    if (version > hi)
        return ld_error(ld, NULL, "default-domain opset %lld is newer than dlcc's onnx.proto knows: dlcc "
                        "supports opsets %d to %d (re-export the model with opset %d)",
                        (long long)version, lo, hi, hi);
    ld->opset = (int)version;
    return 0;
}

static bool op_is_unsupported(const Onnx__NodeProto *np)
{
    return np->op_type && *np->op_type && is_default_domain(np->domain) && !dl_op_find_onnx(np->op_type) &&
           !dl_cf_is_control_flow(np);
}

static void append_node_ref(sbuf *b, const Onnx__NodeProto *np, size_t index, bool first)
{
    if (np->name && *np->name)
        sb_printf(b, first ? "'%s'" : ", '%s'", np->name);
    else
        sb_printf(b, first ? "#%zu" : ", #%zu", index);
}

/* "Foo (node 'a')" or "Bar (nodes 'b', #7 and 3 more)" for the op of node i. */
static void append_op_group(sbuf *b, const Onnx__GraphProto *gp, size_t i)
{
    const char *op = gp->node[i]->op_type;
    size_t count = 0, listed = 0;
    for (size_t j = i; j < gp->n_node; j++)
        count += op_is_unsupported(gp->node[j]) && strcmp(gp->node[j]->op_type, op) == 0;
    sb_printf(b, "%s%s (%s ", b->len ? ", " : "", op, count == 1 ? "node" : "nodes");
    for (size_t j = i; j < gp->n_node && listed < 4; j++)
        if (op_is_unsupported(gp->node[j]) && strcmp(gp->node[j]->op_type, op) == 0)
            append_node_ref(b, gp->node[j], j, listed++ == 0);
    if (count > listed)
        sb_printf(b, " and %zu more", count - listed);
    sb_printf(b, ")");
}

static bool op_seen_before(const Onnx__GraphProto *gp, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (op_is_unsupported(gp->node[j]) && strcmp(gp->node[j]->op_type, gp->node[i]->op_type) == 0)
            return true;
    return false;
}

/* One message for all unsupported operators, so a user sees the whole list. */
static int report_unsupported_ops(loader *ld)
{
    const Onnx__GraphProto *gp = ld->gp;
    sbuf b = {0};
    size_t groups = 0, left_out = 0;
    for (size_t i = 0; i < gp->n_node; i++) {
        if (!op_is_unsupported(gp->node[i]) || op_seen_before(gp, i))
            continue;
        if (b.len > 700) /* dl_error keeps about 1000 characters */
            left_out++;
        else
            append_op_group(&b, gp, i);
        groups++;
    }
    if (left_out)
        sb_printf(&b, " and %zu more operator types", left_out);
    if (b.failed) {
        sb_free(&b);
        return ld_out_of_memory(ld);
    }
    ld_error(ld, NULL, "unsupported operator%s: %s (dlcc --list-ops lists the supported ones)",
             groups > 1 ? "s" : "", b.p);
    sb_free(&b);
    return -1;
}

static int check_operators(loader *ld)
{
    int before = ld->errors;
    bool unsupported = false;
    for (size_t i = 0; i < ld->gp->n_node; i++) {
        const Onnx__NodeProto *np = ld->gp->node[i];
        dl_node at = proto_node(np);
        if (!np->op_type || !*np->op_type)
            ld_error(ld, &at, "node %zu has no op_type", i);
        else if (dl_flex_is_flex(np) && ld->preview_opset != 1) /* the only non-default op (flex_attention.c) */
            ld_error(ld, &at, "FlexAttention of domain ai.onnx.preview version %lld is not supported: dlcc "
                     "implements version 1", (long long)ld->preview_opset);
        else if (dl_flex_is_flex(np))
            continue;
        else if (!is_default_domain(np->domain))
            ld_error(ld, &at, "operator domain '%s' is not supported: dlcc compiles only the default "
                     "ONNX domain (ai.onnx)", np->domain);
        else if (op_is_unsupported(np))
            unsupported = true;
        else if (!dl_cf_is_control_flow(np) && dl_semantic_version(np->op_type, ld->opset) > dl_schema_implemented(np->op_type))
            ld_error(ld, &at, "%s version %d (the model's opset is %d) is not supported: dlcc implements "
                     "%s through version %d", np->op_type, dl_schema_version(np->op_type, ld->opset), ld->opset,
                     np->op_type, dl_schema_implemented(np->op_type));
    }
    if (unsupported)
        report_unsupported_ops(ld);
    return ld->errors > before ? -1 : 0;
}

/* ----------------------------------------------------------- initializers */

static int load_initializers(loader *ld)
{
    int before = ld->errors;
    for (size_t i = 0; i < ld->gp->n_initializer; i++) {
        const Onnx__TensorProto *t = ld->gp->initializer[i];
        char what[300];
        if (!t->name || !*t->name) {
            ld_error(ld, NULL, "initializer %zu has no name", i);
            continue;
        }
        snprintf(what, sizeof what, "initializer '%.250s'", t->name);
        if (names_find(ld, t->name)) {
            ld_error(ld, NULL, "%s is defined twice", what);
            continue;
        }
        dl_value *v = dl_onnx_tensor_value(ld->g, ld->d, NULL, what, ld->model_dir, t, false);
        if (!v && ld->d->out_of_memory)
            return ld_failed(ld);
        if (!v)
            ld_failed(ld);
        else
            names_put(ld, v);
    }
    return ld->errors > before ? -1 : 0;
}

/* ------------------------------------------------------------ graph inputs */

static const dl_shape_binding *find_binding(const loader *ld, const char *name)
{
    for (int i = 0; ld->opt && i < ld->opt->n_shapes; i++)
        if (ld->opt->shapes[i].input && strcmp(ld->opt->shapes[i].input, name) == 0)
            return &ld->opt->shapes[i];
    return NULL;
}

/* A dim_value of 0 is a real, empty dimension; only dim_param or nothing is symbolic. */
static bool dim_is_known(const Onnx__TensorShapeProto__Dimension *dim)
{
    return dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dim->dim_value >= 0;
}

/* "batch x 3 x 224 x 224", for messages. */
static void append_model_shape(sbuf *b, const Onnx__TensorShapeProto *shape)
{
    for (size_t i = 0; i < shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = shape->dim[i];
        const char *sep = i ? " x " : "";
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            sb_printf(b, "%s%lld", sep, (long long)dim->dim_value);
        else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && dim->dim_param)
            sb_printf(b, "%s%s", sep, dim->dim_param);
        else
            sb_printf(b, "%s?", sep);
    }
}

/* Names the first symbolic dim and suggests a --shape with 1 for each. */
static int report_symbolic_dim(loader *ld, const char *name, const Onnx__TensorShapeProto *shape, size_t at)
{
    const Onnx__TensorShapeProto__Dimension *dim = shape->dim[at];
    sbuf what = {0}, hint = {0};
    if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && dim->dim_param && *dim->dim_param)
        sb_printf(&what, "'%s'", dim->dim_param);
    else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
        sb_printf(&what, "size %lld", (long long)dim->dim_value);
    else
        sb_printf(&what, "no size given");
    for (size_t i = 0; i < shape->n_dim; i++)
        sb_printf(&hint, "%s%lld", i ? "," : "", dim_is_known(shape->dim[i]) ? (long long)shape->dim[i]->dim_value : 1LL);
    int rc = what.failed || hint.failed
                 ? ld_out_of_memory(ld)
                 : ld_error(ld, NULL, "input '%s' dim %zu (%s) is symbolic: bind it with --shape %s=%s", name,
                            at, what.p, name, hint.p);
    sb_free(&what);
    sb_free(&hint);
    return rc;
}

static int bound_shape(loader *ld, const char *name, const Onnx__TensorShapeProto *shape,
                       const dl_shape_binding *b, int *rank, int64_t *dims)
{
    if (b->rank < 0 || b->rank > DL_MAX_RANK)
        return ld_error(ld, NULL, "--shape %s: rank %d is out of range (0 to %d)", name, b->rank, DL_MAX_RANK);
    if (shape && shape->n_dim != (size_t)b->rank) {
        sbuf s = {0};
        append_model_shape(&s, shape);
        int rc = s.failed ? ld_out_of_memory(ld)
                          : ld_error(ld, NULL, "input '%s': --shape gives %d dims, but the model's input has "
                                     "rank %zu (%s)", name, b->rank, shape->n_dim, s.p ? s.p : "scalar");
        sb_free(&s);
        return rc;
    }
    for (int i = 0; i < b->rank; i++) {
        if (b->dims[i] < 0)
            return ld_error(ld, NULL, "--shape %s: dim %d is %lld; sizes must not be negative", name, i,
                            (long long)b->dims[i]);
        dims[i] = b->dims[i];
    }
    *rank = b->rank;
    return 0;
}

/* A --bind file settles the input's shape: it must agree with the model's known dims. */
static int value_shape(loader *ld, const char *name, const Onnx__TensorShapeProto *shape, const dlrt_tensor *t,
                       int *rank, int64_t *dims)
{
    bool fits = t->rank <= DL_MAX_RANK && (!shape || shape->n_dim == (size_t)t->rank);
    for (int i = 0; fits && shape && i < t->rank; i++)
        fits = !dim_is_known(shape->dim[i]) || shape->dim[i]->dim_value == t->dims[i];
    if (!fits) {
        sbuf s = {0};
        append_model_shape(&s, shape);
        int rc = s.failed ? ld_out_of_memory(ld)
                          : ld_error(ld, NULL, "--bind %s: the file's value (rank %d) does not fit the model's "
                                     "input shape (%s)", name, t->rank, s.p ? s.p : "scalar");
        sb_free(&s);
        return rc;
    }
    for (int i = 0; i < t->rank; i++)
        dims[i] = t->dims[i];
    *rank = t->rank;
    return 0;
}

static int input_shape(loader *ld, const char *name, const Onnx__TensorShapeProto *shape, const dlrt_tensor *value,
                       int *rank, int64_t *dims)
{
    const dl_shape_binding *b = find_binding(ld, name);
    if (b)
        return bound_shape(ld, name, shape, b, rank, dims);
    if (value)
        return value_shape(ld, name, shape, value, rank, dims);
    if (!shape)
        return ld_error(ld, NULL, "input '%s' has no shape in the model: give it one with --shape %s=D0,D1,...",
                        name, name);
    if (shape->n_dim > DL_MAX_RANK)
        return ld_error(ld, NULL, "input '%s' has rank %zu, beyond dlcc's limit of %d", name, shape->n_dim,
                        DL_MAX_RANK);
    for (size_t i = 0; i < shape->n_dim; i++) {
        if (!dim_is_known(shape->dim[i]))
            return report_symbolic_dim(ld, name, shape, i);
        dims[i] = shape->dim[i]->dim_value;
    }
    *rank = (int)shape->n_dim;
    return 0;
}

static int load_input(loader *ld, const Onnx__ValueInfoProto *vi)
{
    const char *name = vi->name;
    const Onnx__TypeProto *tp = vi->type;
    char what[300];
    snprintf(what, sizeof what, "input '%.250s'", name);
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return ld_error(ld, NULL, "%s is not a tensor; sequence, map, optional and sparse inputs are not "
                        "supported", what);
    dl_dtype dtype;
    int rank = 0;
    int64_t dims[DL_MAX_RANK];
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (dl_onnx_dtype(ld->d, NULL, what, tt->has_elem_type ? tt->elem_type : 0, &dtype))
        return ld_failed(ld);
    dlrt_tensor value = {0};
    const dl_value_binding *vb = dl_find_value_binding(ld->opt, name);
    if (vb && dl_bind_read(ld->d, vb, &value))
        return ld_failed(ld);
    int rc = input_shape(ld, name, tt->shape, vb ? &value : NULL, &rank, dims);
    dl_value *v = rc ? NULL : dl_graph_add_value(ld->g, name, dtype, rank, dims);
    if (rc == 0 && (!v || dl_graph_add_input(ld->g, v)))
        rc = ld_out_of_memory(ld);
    if (rc == 0 && vb && dl_bind_attach(ld->g, ld->d, v, vb, &value))
        rc = ld_failed(ld);
    dlrt_tensor_free(&value);
    if (rc == 0)
        names_put(ld, v);
    return rc;
}

static bool is_runtime_input(const dl_graph *g, const char *name)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (strcmp(g->inputs[i]->name, name) == 0)
            return true;
    return false;
}

static int report_unknown_binding(loader *ld, const char *option, const char *name)
{
    sbuf b = {0};
    const dl_value *v = names_find(ld, name);
    for (int i = 0; i < ld->g->n_inputs; i++)
        sb_printf(&b, "%s'%s'", i ? ", " : "", ld->g->inputs[i]->name);
    int rc = b.failed ? ld_out_of_memory(ld)
                      : ld_error(ld, NULL, "%s names '%s', which is %s (the model's inputs: %s)", option, name,
                                 v ? "a constant (an initializer), not an input" : "not an input of the model",
                                 b.p ? b.p : "none");
    sb_free(&b);
    return rc;
}

static int check_bindings(loader *ld)
{
    int before = ld->errors;
    for (int i = 0; ld->opt && i < ld->opt->n_shapes; i++) {
        const char *name = ld->opt->shapes[i].input;
        if (!name) {
            ld_error(ld, NULL, "--shape %d names no input", i);
            continue;
        }
        if (find_binding(ld, name) != &ld->opt->shapes[i])
            ld_error(ld, NULL, "--shape is given twice for input '%s'", name);
        else if (!is_runtime_input(ld->g, name))
            report_unknown_binding(ld, "--shape", name);
    }
    for (int i = 0; ld->opt && i < ld->opt->n_values; i++) {
        const char *name = ld->opt->values[i].input;
        if (!name)
            ld_error(ld, NULL, "--bind %d names no input", i);
        else if (dl_find_value_binding(ld->opt, name) != &ld->opt->values[i])
            ld_error(ld, NULL, "--bind is given twice for input '%s'", name);
        else if (!is_runtime_input(ld->g, name))
            report_unknown_binding(ld, "--bind", name);
    }
    return ld->errors > before ? -1 : 0;
}

static int load_inputs(loader *ld)
{
    int before = ld->errors;
    for (size_t i = 0; i < ld->gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = ld->gp->input[i];
        const dl_value *known;
        if (!vi->name || !*vi->name)
            ld_error(ld, NULL, "graph input %zu has no name", i);
        else if ((known = names_find(ld, vi->name)) && known->data)
            continue; /* an initializer: a constant, not a run-time input */
        else if (known)
            ld_error(ld, NULL, "graph input '%s' is listed twice", vi->name);
        else if (load_input(ld, vi) && ld->d->out_of_memory)
            return -1;
    }
    if (ld->errors == before)
        check_bindings(ld);
    return ld->errors > before ? -1 : 0;
}

/* ------------------------------------------------------------------ nodes */

static const char *definition_of(const dl_value *v, char *buf, size_t size)
{
    if (v->producer)
        snprintf(buf, size, "node '%.200s' (%.60s)", v->producer->name, v->producer->op_type);
    else
        snprintf(buf, size, "%s", v->is_input ? "a graph input" : "an initializer");
    return buf;
}

static int add_outputs(loader *ld, dl_node *n, const Onnx__NodeProto *np)
{
    int rc = 0;
    for (int j = 0; j < n->n_outputs; j++) {
        const char *name = np->output[j];
        dl_value *v = name && *name ? names_find(ld, name) : NULL;
        if (v) {
            char def[300];
            rc = ld_error(ld, n, "output %d '%s' is already defined by %s", j, name, definition_of(v, def, sizeof def));
            continue;
        }
        /* An omitted optional output in the middle still gets a value, so
         * every output slot holds one. */
        v = dl_graph_add_value(ld->g, name && *name ? name : NULL, DL_UNDEFINED, -1, NULL);
        if (!v)
            return ld_out_of_memory(ld);
        if (name && *name)
            names_put(ld, v);
        dl_node_set_output(n, j, v);
    }
    return rc;
}

/* Trailing omitted optional outputs ("") are dropped. */
static int count_outputs(const Onnx__NodeProto *np)
{
    size_t n = np->n_output;
    while (n > 0 && (!np->output[n - 1] || !*np->output[n - 1]))
        n--;
    return (int)n;
}

static int load_nodes(loader *ld)
{
    int before = ld->errors;
    for (size_t i = 0; i < ld->gp->n_node; i++) {
        const Onnx__NodeProto *np = ld->gp->node[i];
        if (np->n_input > INT_MAX || np->n_output > INT_MAX) {
            dl_node at = proto_node(np);
            ld_error(ld, &at, "the node has too many inputs or outputs");
            continue;
        }
        dl_node *n = dl_graph_add_node(ld->g, str_or_empty(np->name), np->op_type, (int)np->n_input,
                                       count_outputs(np));
        if (!n)
            return ld_out_of_memory(ld);
        n->op = dl_op_find_onnx(np->op_type);
        if (add_outputs(ld, n, np) && ld->d->out_of_memory)
            return -1;
        if (dl_onnx_node_attrs(ld->g, ld->d, n, np, ld->model_dir)) {
            ld_failed(ld);
            if (ld->d->out_of_memory)
                return -1;
        }
    }
    return ld->errors > before ? -1 : 0;
}

/* Nodes need not be in order in the file, so inputs are connected once every
 * output exists. */
static int connect_inputs(loader *ld)
{
    int before = ld->errors;
    for (size_t i = 0; i < ld->gp->n_node; i++) {
        const Onnx__NodeProto *np = ld->gp->node[i];
        dl_node *n = ld->g->nodes[i];
        for (size_t j = 0; j < np->n_input; j++) {
            const char *name = np->input[j];
            dl_value *v = name && *name ? names_find(ld, name) : NULL;
            if (name && *name && !v)
                ld_error(ld, n, "input %zu '%s' is not defined: missing initializer or producer (no node "
                         "output, initializer or graph input has that name)", j, name);
            else if (dl_node_set_input(ld->g, n, (int)j, v))
                return ld_out_of_memory(ld);
        }
    }
    return ld->errors > before ? -1 : 0;
}

static int load_outputs(loader *ld)
{
    int before = ld->errors;
    if (ld->gp->n_output == 0)
        return ld_error(ld, NULL, "the graph has no outputs");
    for (size_t i = 0; i < ld->gp->n_output; i++) {
        const char *name = ld->gp->output[i]->name;
        dl_value *v = name && *name ? names_find(ld, name) : NULL;
        if (!v)
            ld_error(ld, NULL, "graph output '%s' is not produced by any node, initializer or input",
                     str_or_empty(name));
        else if (dl_graph_add_output(ld->g, v))
            return ld_out_of_memory(ld);
    }
    return ld->errors > before ? -1 : 0;
}

/* ----------------------------------------------------------- control flow */

static dl_value *lookup_name(void *ctx, const char *name) { return names_find(ctx, name); }

/* If/Loop/Scan become plain nodes (control_flow.c), then FlexAttention
 * (flex_attention.c); the operators their bodies use are checked then, and
 * the name map grows for the new names. */
static int expand_control_flow(loader *ld)
{
    const Onnx__GraphProto *gp = dl_cf_expand(ld->g, ld->d, ld->gp, ld->opset, ld->model_dir, lookup_name, ld);
    if (gp)
        gp = dl_flex_expand(ld->g, ld->d, gp, ld->gp, ld->opset, ld->model_dir, lookup_name, ld);
    if (!gp)
        return ld_failed(ld);
    if (gp == ld->gp)
        return 0;
    ld->gp = gp;
    dl_free(ld->names.slots, ld->names.cap * sizeof(dl_value *));
    ld->names.slots = NULL;
    ld->names.cap = 0;
    if (check_operators(ld) || names_init(ld))
        return -1;
    for (int i = 0; i < ld->g->n_values; i++)
        if (ld->g->values[i]->name)
            names_put(ld, ld->g->values[i]);
    return 0;
}

/* ------------------------------------------------------------------- load */

static int build_graph(loader *ld, const Onnx__ModelProto *m)
{
    if (check_model(ld, m))
        return -1;
    ld->gp = m->graph;
    int rc = find_opset(ld, m);
    if (check_operators(ld) || rc || set_model_dir(ld) || names_init(ld))
        return -1;
    if (!(ld->g = dl_graph_new(ld->path)))
        return ld_out_of_memory(ld);
    ld->g->opset = ld->opset;
    if (!(ld->g->name = dl_arena_strdup(&ld->g->arena, str_or_empty(ld->gp->name))))
        return ld_out_of_memory(ld);
    if (load_initializers(ld) || load_inputs(ld) || expand_control_flow(ld) || load_nodes(ld))
        return -1;
    rc = connect_inputs(ld);
    if (ld->d->out_of_memory)
        return -1;
    return load_outputs(ld) || rc ? -1 : 0;
}

dl_graph *dl_load_onnx(const char *path, const dl_load_options *opt, dl_diag *d)
{
    loader ld;
    memset(&ld, 0, sizeof ld);
    ld.path = path;
    ld.d = d;
    ld.opt = opt;
    ProtobufCAllocator pa = {pb_alloc, pb_free, &ld};
    Onnx__ModelProto *m = decode_model(&ld, &pa);
    if (!m)
        return NULL;
    int rc = build_graph(&ld, m);
    onnx__model_proto__free_unpacked(m, &pa);
    dl_free(ld.model_dir, ld.model_dir_size);
    dl_free(ld.names.slots, ld.names.cap * sizeof(dl_value *));
    if (rc) {
        dl_graph_free(ld.g);
        return NULL;
    }
    return ld.g;
}
