/* The ONNX frontend: a model file in, an unsorted IR graph out. */
#ifndef DLCC_FRONTEND_H
#define DLCC_FRONTEND_H

#include "ir/ir.h"

/* A compile-time shape for a graph input (--shape x=1,3,224,224). It
 * replaces the input's whole shape; symbolic dims must be bound this way. */
typedef struct dl_shape_binding {
    const char *input;
    int rank;
    int64_t dims[DL_MAX_RANK];
} dl_shape_binding;

/* A compile-time value for a graph input (--bind axes=axes.npy): the input
 * stays in the generated interface, the compiler treats it as this constant
 * (so it may decide shapes), and the generated code returns an error when
 * it is called with anything else. FILE is a .npy or a TensorProto .pb. */
typedef struct dl_value_binding {
    const char *input;
    const char *path;
} dl_value_binding;

typedef struct dl_load_options {
    const dl_shape_binding *shapes;
    int n_shapes;
    const dl_value_binding *values;
    int n_values;
} dl_load_options;

/* Loads path into a new graph (nodes in file order, not sorted). Returns NULL
 * with the errors in d. Does not run shape inference. opt may be NULL. */
dl_graph *dl_load_onnx(const char *path, const dl_load_options *opt, dl_diag *d);

/* The newest default-domain opset the compiled onnx.proto knows. */
int dl_max_supported_opset(void);
/* The oldest one dlcc accepts (numpy-style broadcasting arrived in opset 7). */
int dl_min_supported_opset(void);

/* ---------------------------------------- internal to frontend/ (onnx_tensor.c) */

struct Onnx__TensorProto;
struct Onnx__NodeProto;

/* Decodes t into a constant value: added to g, or detached (a tensor
 * attribute) with data in g's arena. what ("initializer 'W'") and node
 * (may be NULL) name it in messages; external data is resolved against
 * model_dir. NULL with an error in d. */
dl_value *dl_onnx_tensor_value(dl_graph *g, dl_diag *d, const dl_node *node, const char *what,
                               const char *model_dir, const struct Onnx__TensorProto *t, bool detached);
/* TensorProto.DataType to dl_dtype; an error for string and unknown types. */
int dl_onnx_dtype(dl_diag *d, const dl_node *node, const char *what, int32_t type, dl_dtype *out);
const char *dl_onnx_type_name(int32_t type);
/* Converts np's attributes into n->attrs (tensors detached, in g's arena);
 * -1 after reporting every bad attribute, or at once when out of memory. */
int dl_onnx_node_attrs(dl_graph *g, dl_diag *d, dl_node *n, const struct Onnx__NodeProto *np,
                       const char *model_dir);
int dl_onnx_out_of_memory(dl_diag *d);

/* ------------------------------------------ internal to frontend/ (bind.c) */

struct dlrt_tensor;
const dl_value_binding *dl_find_value_binding(const dl_load_options *opt, const char *input);
/* Reads b's file (.npy, else a TensorProto .pb) into t; an error naming it. */
int dl_bind_read(dl_diag *d, const dl_value_binding *b, struct dlrt_tensor *t);
/* Checks t's type and shape against input v and copies it into v's data. */
int dl_bind_attach(dl_graph *g, dl_diag *d, dl_value *v, const dl_value_binding *b, const struct dlrt_tensor *t);

/* ----------------------------------- internal to frontend/ (control_flow.c) */

struct Onnx__GraphProto;
/* The loader's values by name (initializers, graph inputs), or NULL. */
typedef dl_value *(*dl_cf_lookup)(void *ctx, const char *name);
/* If, Loop or Scan of the default domain: expanded by dl_cf_expand. */
bool dl_cf_is_control_flow(const struct Onnx__NodeProto *np);
/* gp itself when it has no control flow, else a copy whose node list has
 * every If/Loop/Scan expanded into plain nodes (in g's arena; it points into
 * gp, so it lives as long as gp). NULL with the errors in d. */
const struct Onnx__GraphProto *dl_cf_expand(dl_graph *g, dl_diag *d, const struct Onnx__GraphProto *gp, int opset,
                                            const char *model_dir, dl_cf_lookup find, void *find_ctx);

/* What dl_cf_probe learned about a value that nodes compute: its type and
 * shape (rank -1: unknown), its first element when it folds to a constant,
 * and "--bind a=FILE ..." for the run-time graph inputs it depends on. */
typedef struct dl_cf_probe_result {
    dl_dtype dtype;
    int rank;
    int64_t dims[DL_MAX_RANK];
    bool known;
    int64_t value;
    char hint[400];
} dl_cf_probe_result;
/* Runs shape inference and folding over the nodes[0..n) that compute name,
 * in a scratch graph (cf_probe.c); -1 only when out of memory. */
int dl_cf_probe(dl_graph *g, dl_diag *d, const char *model_dir, struct Onnx__NodeProto *const *nodes, size_t n,
                dl_cf_lookup find, void *find_ctx, const char *name, dl_cf_probe_result *r);
/* v's first element as an integer (bool, integer and float types). */
int64_t dl_cf_first_int(const dl_value *v);

/* A node list under construction: nodes is dl_realloc'd with room for cap. */
typedef struct dl_cf_nodes {
    struct Onnx__NodeProto **nodes;
    size_t n, cap;
} dl_cf_nodes;
/* --------------------------------- internal to frontend/ (proto_build.c) */

struct Onnx__AttributeProto;
/* An error naming a node that exists only as a NodeProto; returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int dl_proto_node_error(dl_diag *d, const struct Onnx__NodeProto *np, const char *fmt, ...);
/* Appends np to list; -1 with an out-of-memory error. */
int dl_proto_push(dl_diag *d, dl_cf_nodes *list, struct Onnx__NodeProto *np);
/* A node with room for n_in inputs and n_out outputs (unset), in g's arena; NULL when out of memory. */
struct Onnx__NodeProto *dl_proto_new_node(dl_graph *g, const char *op, size_t n_in, size_t n_out);
/* Appends an attribute of the given AttributeType to np; NULL when out of memory. */
struct Onnx__AttributeProto *dl_proto_add_attr(dl_graph *g, struct Onnx__NodeProto *np, const char *name, int type);
int dl_proto_set_int(dl_graph *g, dl_diag *d, struct Onnx__NodeProto *np, const char *name, int64_t v);
/* A copy of gp (in g's arena) whose nodes are list's; frees list. NULL when out of memory. */
const struct Onnx__GraphProto *dl_proto_graph_with(dl_graph *g, dl_diag *d, const struct Onnx__GraphProto *gp,
                                                   dl_cf_nodes *list);

/* Appends body (a subgraph attribute of node np) to list, instantiated
 * under prefix with its formal inputs bound to actual (control flow inside
 * it expanded); results[i] gets the value name of its output i. */
int dl_cf_inline(dl_graph *g, dl_diag *d, int opset, const char *model_dir, dl_cf_lookup find, void *find_ctx,
                 dl_cf_nodes *list, const struct Onnx__NodeProto *np, const struct Onnx__GraphProto *body,
                 const char *prefix, const char *const *actual, const char **results);

/* --------------------------------- internal to frontend/ (flex_attention.c) */

/* FlexAttention of domain ai.onnx.preview. */
bool dl_flex_is_flex(const struct Onnx__NodeProto *np);
/* gp itself when it has no FlexAttention node, else a copy (in g's arena)
 * whose FlexAttention nodes are expanded into default-domain nodes, their
 * score_mod and prob_mod bodies inlined. Runs after dl_cf_expand; top is
 * the file's graph: a FlexAttention that came out of a control-flow body
 * (not among top's nodes) may not carry subgraphs. NULL with errors in d. */
const struct Onnx__GraphProto *dl_flex_expand(dl_graph *g, dl_diag *d, const struct Onnx__GraphProto *gp,
                                              const struct Onnx__GraphProto *top, int opset,
                                              const char *model_dir, dl_cf_lookup find, void *find_ctx);

#endif
