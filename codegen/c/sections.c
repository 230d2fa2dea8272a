/* Kernel sections: the embedded kernel files cut at their markers, so a
 * generated file carries only the code its model needs (see
 * runtime/kernels/README.md). */
#include <string.h>

#include "codegen/c/embedded.h"
#include "codegen/c/sections.h"

const char *dl_embedded_text(const char *name, size_t *size)
{
    for (const dl_embedded_file *f = dl_embedded_files; f->name; f++)
        if (strcmp(f->name, name) == 0) {
            if (size)
                *size = f->size;
            return f->text;
        }
    return NULL;
}

static bool is_kernel_file(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && strcmp(name + n - 2, ".h") == 0 && strcmp(name, "dlrt.h") != 0;
}

/* Parses "/" "*@ NAME : DEP DEP *" "/" at text; returns false if it is not a marker. */
static bool parse_marker(const char *line, const char *line_end, dl_section *s)
{
    if (line_end - line < 6 || strncmp(line, "/*@", 3) != 0)
        return false;
    const char *p = line + 3, *close = strstr(p, "*/");
    if (!close || close > line_end)
        return false;
    while (p < close && *p == ' ')
        p++;
    const char *name = p;
    while (p < close && *p != ' ' && *p != ':')
        p++;
    s->name_len = (size_t)(p - name);
    s->name = name;
    while (p < close && (*p == ' ' || *p == ':'))
        p++;
    s->deps = p;
    s->deps_len = (size_t)(close - p);
    while (s->deps_len > 0 && s->deps[s->deps_len - 1] == ' ')
        s->deps_len--;
    return true;
}

int dl_sections_load(dl_sections *all)
{
    all->n = 0;
    for (const dl_embedded_file *f = dl_embedded_files; f->name; f++) {
        if (!is_kernel_file(f->name))
            continue;
        const char *p = f->text, *end = f->text + f->size;
        dl_section *open = NULL;
        while (p < end) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            const char *next = eol ? eol + 1 : end;
            dl_section s;
            if (parse_marker(p, next, &s)) {
                if (s.name_len == 3 && strncmp(s.name, "end", 3) == 0) {
                    if (open)
                        open->body_len = (size_t)(p - open->body);
                    open = NULL;
                } else if (all->n < DL_MAX_SECTIONS) {
                    s.file = f->name;
                    s.body = next;
                    s.body_len = 0;
                    all->items[all->n] = s;
                    open = &all->items[all->n++];
                } else {
                    return -1;
                }
            }
            p = next;
        }
    }
    return 0;
}

int dl_section_find(const dl_sections *all, const char *name, size_t len)
{
    for (int i = 0; i < all->n; i++)
        if (all->items[i].name_len == len && strncmp(all->items[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Depth-first: dependencies are written before the section that needs them. */
int dl_section_emit(const dl_sections *all, int index, bool *done, FILE *out)
{
    if (done[index])
        return 0;
    done[index] = true;
    const dl_section *s = &all->items[index];
    const char *p = s->deps, *end = s->deps + s->deps_len;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *word = p;
        while (p < end && *p != ' ')
            p++;
        if (p > word) {
            int dep = dl_section_find(all, word, (size_t)(p - word));
            if (dep < 0 || dl_section_emit(all, dep, done, out))
                return -1;
        }
    }
    fwrite(s->body, 1, s->body_len, out);
    fputc('\n', out);
    return 0;
}
