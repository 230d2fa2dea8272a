/* The dlcc graph IR: typed values with static shapes, nodes with attributes,
 * use lists. One graph owns one arena; every IR object dies with it. */
#ifndef DLCC_IR_H
#define DLCC_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DL_MAX_RANK 8

/* ---------------------------------------------------------------- memory */

/* Every allocation of the compiler goes through this hook (as Lua does), so
 * tests can make a chosen allocation fail. */
typedef void *(*dl_alloc_fn)(void *ctx, void *old, size_t old_size, size_t new_size);
void dl_set_allocator(dl_alloc_fn fn, void *ctx);
void *dl_malloc(size_t size);
void *dl_realloc(void *p, size_t old_size, size_t new_size);
void dl_free(void *p, size_t size);

typedef struct dl_arena_chunk dl_arena_chunk;
typedef struct dl_arena {
    dl_arena_chunk *head;
    bool failed; /* an allocation failed: the graph is unusable */
} dl_arena;

void *dl_arena_alloc(dl_arena *a, size_t size);            /* zeroed, 16-aligned; NULL on failure */
char *dl_arena_strdup(dl_arena *a, const char *s);
void dl_arena_free_all(dl_arena *a);

/* ----------------------------------------------------------- diagnostics */

/* Errors are collected, not printed: the CLI decides how to show them.
 * Each names the model file, the node (name and op type) and what is wrong. */
typedef struct dl_diag {
    const char *file;   /* model file, for messages */
    char **messages;
    int n_messages, cap;
    bool out_of_memory;
} dl_diag;

struct dl_node;
void dl_diag_init(dl_diag *d, const char *file);
void dl_diag_free(dl_diag *d);
/* "FILE: node 'NAME' (OP): MESSAGE"; node may be NULL. Always returns -1. */
int dl_error(dl_diag *d, const struct dl_node *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int dl_verror(dl_diag *d, const struct dl_node *node, const char *fmt, va_list ap);
bool dl_diag_has_errors(const dl_diag *d);

/* ------------------------------------------------------------------ types */

/* Numbering is ONNX TensorProto.DataType's, so the frontend maps 1:1. */
typedef enum dl_dtype {
    DL_UNDEFINED = 0,
    DL_FLOAT = 1,
    DL_UINT8 = 2,
    DL_INT8 = 3,
    DL_UINT16 = 4,
    DL_INT16 = 5,
    DL_INT32 = 6,
    DL_INT64 = 7,
    DL_STRING = 8,
    DL_BOOL = 9,
    DL_FLOAT16 = 10,
    DL_DOUBLE = 11,
    DL_UINT32 = 12,
    DL_UINT64 = 13,
} dl_dtype;

size_t dl_dtype_size(dl_dtype t);          /* 0 for unsupported types */
const char *dl_dtype_name(dl_dtype t);     /* "float32", "int64", ... */
const char *dl_dtype_ctype(dl_dtype t);    /* "float", "int64_t", ...; NULL if none */

/* ------------------------------------------------------------------- IR */

typedef struct dl_node dl_node;
typedef struct dl_graph dl_graph;
typedef struct dl_op dl_op;

/* How a value's elements lie in memory. Every value is PLAIN (row-major in
 * its dims) but those of the layout pass (passes/layout.c): NCHW16C is a
 * 4-D tensor N x C x H x W stored as the 5-D N x ceil(C/16) x H x W x 16
 * (its dims are the stored ones; ir/ops/blocked.c). */
typedef enum dl_layout {
    DL_LAYOUT_PLAIN = 0,
    DL_LAYOUT_NCHW16C = 1,
} dl_layout;

typedef struct dl_value {
    const char *name;       /* the ONNX tensor name */
    int id;                 /* index in graph->values */
    dl_dtype dtype;
    int rank;               /* -1 while unknown */
    int64_t dims[DL_MAX_RANK];
    void *data;             /* constant contents (row-major), or NULL */
    dl_node *producer;      /* NULL for graph inputs and constants */
    dl_node **users;        /* each consuming node once per input slot */
    int n_users, cap_users;
    bool is_input, is_output;
    dl_layout layout;

    /* Set by memory planning. */
    int64_t offset;         /* byte offset in the arena; -1: not in the arena */
    struct dl_value *alias_of; /* a view: shares the bytes of alias_of */
    int64_t alias_offset;   /* ... starting this many bytes into them */
} dl_value;

typedef enum dl_attr_kind {
    DL_ATTR_FLOAT, DL_ATTR_INT, DL_ATTR_STRING, DL_ATTR_TENSOR,
    DL_ATTR_FLOATS, DL_ATTR_INTS, DL_ATTR_STRINGS, DL_ATTR_GRAPH,
} dl_attr_kind;

typedef struct dl_attr {
    const char *name;
    dl_attr_kind kind;
    float f;
    int64_t i;
    const char *s;
    float *floats;          /* DL_ATTR_FLOATS */
    int64_t *ints;          /* DL_ATTR_INTS */
    const char **strings;   /* DL_ATTR_STRINGS */
    int n;                  /* element count of the list kinds */
    dl_value *tensor;       /* DL_ATTR_TENSOR: a detached constant */
} dl_attr;

struct dl_node {
    const char *name;       /* ONNX node name ("" when the model gave none) */
    const char *op_type;    /* ONNX op_type as written */
    const dl_op *op;        /* NULL: unsupported */
    int opset;              /* default-domain opset version of the model */
    int id;
    dl_value **inputs;      /* missing optional inputs are NULL */
    int n_inputs;
    dl_value **outputs;
    int n_outputs;
    dl_attr *attrs;
    int n_attrs;
    void *params;           /* the op's typed attribute struct, set by op->setup */
    bool dead;              /* removed; skipped by every walk */
    /* Ops a fusion pass folded into this node, in order, e.g. "BatchNormalization,Relu"
     * (arena string; NULL: none). Printers draw the node as one box listing them. */
    const char *fused;
};

struct dl_graph {
    dl_arena arena;
    const char *name;
    const char *file;       /* model path, for messages */
    int opset;
    dl_value **values;
    int n_values, cap_values;
    dl_node **nodes;        /* topological order after dl_graph_sort */
    int n_nodes, cap_nodes;
    dl_value **inputs;      /* graph inputs that are not constants, in ONNX order */
    int n_inputs;
    dl_value **outputs;
    int n_outputs;
    int64_t arena_bytes;    /* set by memory planning */
};

dl_graph *dl_graph_new(const char *file);
void dl_graph_free(dl_graph *g);

/* name may be NULL for a fresh anonymous value. NULL on out-of-memory. */
dl_value *dl_graph_add_value(dl_graph *g, const char *name, dl_dtype dtype, int rank, const int64_t *dims);
dl_value *dl_graph_find_value(const dl_graph *g, const char *name);
dl_node *dl_graph_add_node(dl_graph *g, const char *name, const char *op_type, int n_inputs, int n_outputs);
/* Connect slot i of n to v (v may be NULL for an absent optional input). */
int dl_node_set_input(dl_graph *g, dl_node *n, int i, dl_value *v);
void dl_node_set_output(dl_node *n, int i, dl_value *v);
int dl_graph_add_input(dl_graph *g, dl_value *v);
int dl_graph_add_output(dl_graph *g, dl_value *v);
/* Replace every use of old by new (outputs of the graph too). */
int dl_value_replace_uses(dl_graph *g, dl_value *old, dl_value *new_value);
void dl_node_remove(dl_graph *g, dl_node *n);   /* marks dead, drops its uses */
/* Allocate constant storage for v from the graph arena (zeroed). */
void *dl_value_alloc_data(dl_graph *g, dl_value *v);

/* Sort nodes topologically (stable w.r.t. the file order); a cycle is an error
 * naming a node on it. */
int dl_graph_sort(dl_graph *g, dl_diag *d);
int dl_graph_verify(const dl_graph *g, dl_diag *d);

int64_t dl_value_numel(const dl_value *v);
int64_t dl_value_bytes(const dl_value *v);
bool dl_value_is_const(const dl_value *v);
/* "1x3x224x224" into buf. */
const char *dl_shape_str(const dl_value *v, char *buf, size_t size);

/* ------------------------------------------------------------ attributes */

const dl_attr *dl_attr_find(const dl_node *n, const char *name);
int64_t dl_attr_int(const dl_node *n, const char *name, int64_t fallback);
float dl_attr_float(const dl_node *n, const char *name, float fallback);
const char *dl_attr_string(const dl_node *n, const char *name, const char *fallback);
/* Returns the list length, or -1 when absent; *out points into the node. */
int dl_attr_ints(const dl_node *n, const char *name, const int64_t **out);
int dl_attr_floats(const dl_node *n, const char *name, const float **out);

/* --------------------------------------------------------------- printing */

#include <stdio.h>
void dl_graph_print(const dl_graph *g, FILE *f);   /* text form */
void dl_graph_print_dot(const dl_graph *g, FILE *f);

#endif
