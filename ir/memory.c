/* The allocation hook, graph arenas and diagnostics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

static void *default_alloc(void *ctx, void *old, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    if (new_size == 0) {
        free(old);
        return NULL;
    }
    return realloc(old, new_size);
}

static dl_alloc_fn alloc_fn = default_alloc;
static void *alloc_ctx;

void dl_set_allocator(dl_alloc_fn fn, void *ctx)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ctx = ctx;
}

void *dl_malloc(size_t size) { return alloc_fn(alloc_ctx, NULL, 0, size ? size : 1); }
void *dl_realloc(void *p, size_t old_size, size_t new_size) { return alloc_fn(alloc_ctx, p, old_size, new_size ? new_size : 1); }
void dl_free(void *p, size_t size)
{
    if (p)
        alloc_fn(alloc_ctx, p, size, 0);
}

/* ------------------------------------------------------------------ arena */

struct dl_arena_chunk {
    dl_arena_chunk *next;
    size_t size, used;
    /* data follows, 16-aligned */
};

#define CHUNK_HEADER ((sizeof(dl_arena_chunk) + 15) & ~(size_t)15)
#define CHUNK_MIN (64 * 1024)

void *dl_arena_alloc(dl_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    dl_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        dl_arena_chunk *n = dl_malloc(CHUNK_HEADER + cap);
        if (!n) {
            a->failed = true;
            return NULL;
        }
        n->size = cap;
        n->used = 0;
        if (c && size > CHUNK_MIN) {  /* keep filling the current small chunk */
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            a->head = n;
        }
        c = n;
    }
    void *p = (char *)c + CHUNK_HEADER + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *dl_arena_strdup(dl_arena *a, const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *p = dl_arena_alloc(a, n);
    if (p)
        memcpy(p, s ? s : "", n);
    return p;
}

void dl_arena_free_all(dl_arena *a)
{
    dl_arena_chunk *c = a->head;
    while (c) {
        dl_arena_chunk *next = c->next;
        dl_free(c, CHUNK_HEADER + c->size);
        c = next;
    }
    a->head = NULL;
}

/* ------------------------------------------------------------ diagnostics */

void dl_diag_init(dl_diag *d, const char *file)
{
    memset(d, 0, sizeof *d);
    d->file = file;
}

void dl_diag_free(dl_diag *d)
{
    for (int i = 0; i < d->n_messages; i++)
        dl_free(d->messages[i], strlen(d->messages[i]) + 1);
    dl_free(d->messages, sizeof(char *) * (size_t)d->cap);
    d->messages = NULL;
    d->n_messages = d->cap = 0;
}

bool dl_diag_has_errors(const dl_diag *d) { return d->n_messages > 0 || d->out_of_memory; }

int dl_verror(dl_diag *d, const dl_node *node, const char *fmt, va_list ap)
{
    char body[1024], line[1400];
    vsnprintf(body, sizeof body, fmt, ap);
    if (node)
        snprintf(line, sizeof line, "%s: node '%s' (%s): %s", d->file ? d->file : "<model>",
                 node->name && node->name[0] ? node->name : "<unnamed>", node->op_type, body);
    else
        snprintf(line, sizeof line, "%s: %s", d->file ? d->file : "<model>", body);
    if (d->n_messages == d->cap) {
        int cap = d->cap ? d->cap * 2 : 8;
        char **m = dl_realloc(d->messages, sizeof(char *) * (size_t)d->cap, sizeof(char *) * (size_t)cap);
        if (!m) {
            d->out_of_memory = true;
            return -1;
        }
        d->messages = m;
        d->cap = cap;
    }
    size_t n = strlen(line) + 1;
    char *copy = dl_malloc(n);
    if (!copy) {
        d->out_of_memory = true;
        return -1;
    }
    memcpy(copy, line, n);
    d->messages[d->n_messages++] = copy;
    return -1;
}

int dl_error(dl_diag *d, const dl_node *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dl_verror(d, node, fmt, ap);
    va_end(ap);
    return -1;
}
