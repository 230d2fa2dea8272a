/* Which version of an operator's schema a node follows. A model of opset N
 * uses, for each operator, the newest schema version <= N. dlcc implements the
 * semantics of every version through DL_IMPLEMENTED_OPSET; a newer version is
 * accepted only when it changed nothing but type lists (written TY(v) in
 * schema_versions.def), since dlcc checks types itself. */
#include <string.h>

#include "ir/ops/op.h"

#define TY(v) (-(v))
#define DL_SCHEMA(op, ...) {#op, {__VA_ARGS__}},

typedef struct schema_entry {
    const char *op;
    int versions[24]; /* ascending; negative: a type-only change; 0 ends */
} schema_entry;

static const schema_entry schemas[] = {
#include "ir/ops/schema_versions.def"
};

static const schema_entry *find(const char *op)
{
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
        if (strcmp(schemas[i].op, op) == 0)
            return &schemas[i];
    return NULL;
}

static int version_at(int v) { return v < 0 ? -v : v; }

int dl_schema_newest_opset(void) { return DL_SCHEMA_NEWEST_OPSET; }
int dl_schema_newest_ir(void) { return DL_SCHEMA_NEWEST_IR; }

int dl_schema_version(const char *op, int opset)
{
    const schema_entry *e = find(op);
    int best = 0;
    for (int i = 0; e && i < 24 && e->versions[i]; i++)
        if (version_at(e->versions[i]) <= opset)
            best = version_at(e->versions[i]);
    return best;
}

int dl_semantic_version(const char *op, int opset)
{
    const schema_entry *e = find(op);
    int at = -1;
    for (int i = 0; e && i < 24 && e->versions[i]; i++)
        if (version_at(e->versions[i]) <= opset)
            at = i;
    if (at < 0)
        return 0;
    while (at > 0 && e->versions[at] < 0) /* same signature as the version before it */
        at--;
    return version_at(e->versions[at]);
}

/* Ops whose schema changed after DL_IMPLEMENTED_OPSET in ways that touch only
 * types dlcc refuses anyway, so their newer versions compile as they are. */
static const struct {
    const char *op;
    int through;
} implemented_later[] = {
    {"Cast", 28},         /* 24 added round_mode, which applies to float8e8m0 only */
    {"CastLike", 25},     /* likewise */
    {"Range", 27},        /* 27 added stash_type, for float16/bfloat16 only */
    {"SpaceToDepth", 28}, /* 28 added mode; space.c implements DCR and CRD */
    {"Swish", 24},        /* new at 24; unary.c implements it */
    {"CumProd", 26},      /* new at 26; reduce.c implements it */
    {"Attention", 25},    /* 24 added nonpad_kv_seqlen, 25 the window sizes; attention.c implements both */
    {"BitCast", 26},      /* new at 26; misc.c implements it */
    {"TensorScatter", 24},       /* new at 24; kvcache.c implements it */
    {"LinearAttention", 27},     /* new at 27; transformer.c implements it */
    {"CausalConvWithState", 27}, /* new at 27; transformer.c implements it */
    {"SwiGLU", 28},              /* new at 28; transformer.c implements it */
};

int dl_schema_implemented(const char *op)
{
    for (size_t i = 0; i < sizeof implemented_later / sizeof implemented_later[0]; i++)
        if (strcmp(implemented_later[i].op, op) == 0)
            return implemented_later[i].through;
    return DL_IMPLEMENTED_OPSET;
}
