#ifndef DLCC_SECTIONS_H
#define DLCC_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DL_MAX_SECTIONS 1024

typedef struct dl_section {
    const char *file;
    const char *name;
    size_t name_len;
    const char *deps;      /* space-separated section names */
    size_t deps_len;
    const char *body;
    size_t body_len;
} dl_section;

typedef struct dl_sections {
    dl_section items[DL_MAX_SECTIONS];
    int n;
} dl_sections;

int dl_sections_load(dl_sections *all);
int dl_section_find(const dl_sections *all, const char *name, size_t len);
/* Writes section index and, first, what it depends on; done[] marks what is written. -1: unknown dependency. */
int dl_section_emit(const dl_sections *all, int index, bool *done, FILE *out);

#endif
