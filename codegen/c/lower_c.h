/* The C backend's implementation of dl_lower (ir/ops/op.h): ops describe
 * kernel calls, this writes them as C statements. */
#ifndef DLCC_LOWER_C_H
#define DLCC_LOWER_C_H

#include <stdio.h>

#include "codegen/c/sections.h"
#include "ir/ir.h"

#define DL_MAX_POOLS 16

/* Constants the code refers to, packed per dtype into one array each. */
typedef struct dl_pool {
    dl_dtype dtype;
    int64_t count;              /* elements */
} dl_pool;

struct dl_lower {
    const dl_graph *g;
    FILE *out;                  /* the run function's body */
    const dl_sections *sections;
    bool *needed;               /* per section */
    int64_t *const_offset;      /* per value id: element offset in its pool, -1 */
    int *const_pool;            /* per value id: pool index */
    dl_pool pools[DL_MAX_POOLS];
    int n_pools;
    const char *const *param_names; /* per value id: C parameter name for graph inputs/outputs, or NULL */
    int n_params_in_node;       /* params structs written for the current node */
    int n_args;                 /* arguments written in the current call */
    int n_calls;                /* calls written for the current node */
    bool skip_node;             /* the current node's outputs are views of its inputs: it writes nothing */
    bool failed;
    char error[256];
};

void dl_lower_init(struct dl_lower *l, const dl_graph *g, FILE *out, const dl_sections *sections);
void dl_lower_free(struct dl_lower *l);
/* Starts a node's block (a comment naming it), ends it. */
void dl_lower_node_begin(struct dl_lower *l, const dl_node *n);
void dl_lower_node_end(struct dl_lower *l, const dl_node *n);
/* The C expression for a value's data, e.g. "(float *)(arena + 1024)". */
void dl_lower_value_expr(struct dl_lower *l, const dl_value *v, char *buf, size_t size);
/* Marks a constant as used and returns its pool and offset. */
void dl_lower_use_constant(struct dl_lower *l, const dl_value *v);
const char *dl_pool_name(dl_dtype t);

#endif
