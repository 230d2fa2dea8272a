/* dlcc as a library: compile an ONNX model to C from another program. */
#ifndef DLCC_DLCC_H
#define DLCC_DLCC_H

#include <stdbool.h>
#include <stdio.h>

#include "codegen/c/codegen_c.h"
#include "frontend/frontend.h"
#include "ir/ir.h"

typedef struct dlcc_options {
    const char *model_path;
    const char *output_path;    /* NAME.c; NAME.h and NAME.weights go beside it */
    const char *name;           /* C prefix; default: the output's base name */
    const dl_shape_binding *shapes;
    int n_shapes;
    const dl_value_binding *values; /* --bind: inputs fixed at compile time */
    int n_values;
    dl_weights_mode weights;
    FILE *log;                  /* -v: one line per pass */
    int opt_level;              /* -O0..-O3; dlcc's default is 2 */
    const char *cpu;            /* --cpu: native (NULL), avx512, avx2 or generic */
    const char *const *enable_passes, *const *disable_passes; /* --enable-pass / --disable-pass */
    int n_enable_passes, n_disable_passes;
    const char *dump_after;     /* --dump-after=PASS|all */
    const char *dump_path;      /* where the dump goes (NULL: stderr) */
    bool dump_dot;
    const char *driver_path;    /* also write a test main() here (dlcc run) */
    bool threads;               /* --threads: also NAME_context and NAME_run_in (a pthreads pool) */
    bool profile;               /* --profile: per-node timing and NAME_profile_print/reset */
    int run_threads;            /* dlcc run --threads N: the test main() runs on N threads (needs threads) */
    struct dlcc_model_info *info; /* when non-NULL, filled with the model's signature */
} dlcc_options;

/* The compiled model's inputs and outputs (names as in the ONNX file). */
typedef struct dlcc_model_info {
    int n_inputs, n_outputs;
    char **inputs, **outputs;
} dlcc_model_info;

void dlcc_model_info_free(dlcc_model_info *info);

/* Loads the model and runs the pass pipeline (opt's levels, passes, dumps);
 * NULL with messages in d. The caller frees the graph. */
dl_graph *dlcc_build_graph(const dlcc_options *opt, dl_diag *d);

/* The widest float vectors of --cpu=NAME in bits (512, 256, 0 for generic;
 * native, or NULL: this machine's), or -1 for an unknown name. */
int dlcc_cpu_vector_bits(const char *name);

/* Returns 0, or -1 with messages in d. Never leaves partial output files. */
int dlcc_compile(const dlcc_options *opt, dl_diag *d);
/* dlcc --report: runs the same passes and prints the memory plan to out (per arena tensor: offset, size,
   live range, producer; totals: arena, naive sum, max-live bound, weights) instead of writing files. */
int dlcc_report(const dlcc_options *opt, FILE *out, dl_diag *d);

/* The names of the passes (--dump-after, --enable-pass, --disable-pass accept), comma-separated. */
const char *dlcc_pass_names(char *buf, size_t size);
/* Prints every pass: name, the -O level that runs it, what it does. */
void dlcc_list_passes(FILE *f);

#endif
