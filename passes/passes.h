/* The compiler's passes. Each takes the graph, keeps it valid, and reports
 * what it did in one line when verbose. */
#ifndef DLCC_PASSES_H
#define DLCC_PASSES_H

#include <stdio.h>

#include "ir/ir.h"

typedef struct dl_pass_context {
    dl_diag *diag;
    FILE *log;              /* one line per pass when non-NULL (-v) */
    const char *dump_after; /* pass name whose result is dumped, or NULL */
    FILE *dump;             /* where the dump goes */
    bool dump_dot;          /* DOT instead of text */
    int64_t fold_limit_bytes; /* generators (ConstantOfShape...) whose output is larger stay at run time */
} dl_pass_context;

typedef struct dl_pass {
    const char *name;
    int (*run)(dl_graph *g, dl_pass_context *ctx);
} dl_pass;

/* Shape inference in topological order, folding every node whose inputs are constant. */
int dl_infer_and_fold(dl_graph *g, dl_pass_context *ctx);
/* float16 legalization (legalize.c), called by the infer walk: does node n
 * read float16 while its op computes in float32? Then widen its float16
 * inputs by Cast nodes placed at nodes[at..] (returns how many), and after
 * its infer round its float32 outputs back by Cast nodes placed after it. */
bool dl_legalize_f16_wanted(const dl_node *n);
int dl_legalize_f16_inputs(dl_graph *g, int at, dl_diag *d);
int dl_legalize_f16_outputs(dl_graph *g, int at, dl_diag *d);
/* Remove nodes whose results nobody uses. */
int dl_eliminate_dead_code(dl_graph *g, dl_pass_context *ctx);
/* Move nodes that read only constants next to their first user (keeps run-time generated weights short-lived). */
int dl_schedule(dl_graph *g, dl_pass_context *ctx);
/* Views, liveness and arena offsets. */
int dl_plan_memory(dl_graph *g, dl_pass_context *ctx);

/* Runs the standard pipeline: sort, infer+fold, dce, schedule, plan memory; verifies after each. */
int dl_run_passes(dl_graph *g, dl_pass_context *ctx);
int dl_pass_exists(const char *name);   /* for --dump-after */

/* The storage a value's bytes live in (follows view aliases). */
const dl_value *dl_value_storage(const dl_value *v);

#endif
