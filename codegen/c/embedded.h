/* Source files the compiler carries to emit into generated code: the kernels
 * (runtime/kernels/) and the runtime tensor I/O used by `dlcc run`. */
#ifndef DLCC_EMBEDDED_H
#define DLCC_EMBEDDED_H

#include <stddef.h>

typedef struct dl_embedded_file {
    const char *name;   /* base name: "conv.h", "tensor_io.c" */
    const char *text;   /* NUL-terminated */
    size_t size;
} dl_embedded_file;

extern const dl_embedded_file dl_embedded_files[];   /* ends with a NULL name */

#endif
