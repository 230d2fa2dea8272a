/* The C backend: writes NAME.c and NAME.h (and NAME.weights) for a planned graph. */
#ifndef DLCC_CODEGEN_C_H
#define DLCC_CODEGEN_C_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/ir.h"

typedef enum dl_weights_mode { DL_WEIGHTS_EMBED, DL_WEIGHTS_FILE } dl_weights_mode;

typedef struct dl_c_options {
    const char *name;          /* C identifier prefix: NAME_run, NAME_ARENA_BYTES */
    const char *c_path;        /* NAME.c */
    const char *h_path;        /* NAME.h */
    const char *weights_path;  /* NAME.weights (DL_WEIGHTS_FILE) */
    dl_weights_mode weights;
    bool threads;              /* --threads: NAME_context, NAME_context_init/free, NAME_run_in (a pthreads pool) */
    bool profile;              /* --profile: per-node timing, NAME_profile_print/reset (a static table) */
    int driver_threads;        /* dl_emit_driver: run through a context of this many threads (needs threads); 0: NAME_run */
} dl_c_options;

/* Writes the files atomically: on error none of them is left behind. */
int dl_emit_c(const dl_graph *g, const dl_c_options *opt, dl_diag *d);

/* A main() for `dlcc run`: argv = OUTDIR [WEIGHTS] INPUT... (.npy or .pb);
 * writes OUTDIR/<output>.npy. Uses runtime/dlrt.h. */
int dl_emit_driver(const dl_graph *g, const dl_c_options *opt, FILE *f);

/* Text of an embedded source file (the kernel headers, runtime/dlrt.h, ...). */
const char *dl_embedded_text(const char *name, size_t *size);

/* Replace every character outside [A-Za-z0-9_] so the name is a C identifier. */
void dl_c_identifier(const char *name, char *out, size_t size);
/* Replace every character outside [A-Za-z0-9_.-] with '_' (file names of outputs). */
void dl_file_safe_name(const char *name, char *out, size_t size);

#endif
