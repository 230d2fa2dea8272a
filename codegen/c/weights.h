/* Constants in generated C: one array per element type ("pool"), embedded as
 * integer bit patterns (compilers parse them far faster than float literals)
 * or stored in NAME.weights and read by NAME_load_weights. */
#ifndef DLCC_WEIGHTS_H
#define DLCC_WEIGHTS_H

#include <stdio.h>

#include "codegen/c/lower_c.h"

void dl_write_pool(FILE *f, const dl_graph *g, const struct dl_lower *l, int pool);
void dl_write_weights_loader(FILE *f, const struct dl_lower *l, const char *name);
int dl_write_weights_file(FILE *f, const dl_graph *g, const struct dl_lower *l);
int64_t dl_weights_file_bytes(const struct dl_lower *l);

#endif
