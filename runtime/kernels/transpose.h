/* Transpose of any rank <= DLK_MAX_RANK and any element size.
 * The compiler first drops size-1 axes and merges axes that stay adjacent
 * (ir/ops/transpose.c), so NCHW->NHWC arrives here as (N, C, HW) -> (N, HW, C). */
#ifndef DLK_TRANSPOSE_H
#define DLK_TRANSPOSE_H

#include "common.h"
#include "copy.h"
#include "parallel.h"

/*@ dlk_transpose_params : dlk_common */
typedef struct dlk_transpose_params {
    int64_t rank;                   /* 0..DLK_MAX_RANK; 0 is a scalar */
    int64_t elem_size;              /* bytes per element */
    int64_t in_dims[DLK_MAX_RANK];
    int64_t perm[DLK_MAX_RANK];     /* output axis i is input axis perm[i] */
} dlk_transpose_params;
/*@end*/

/*@ dlk_transpose_tile : dlk_gather_row */
/* y[a*ys + b] = x[a + b*xs] for a < na, b < nb: the two innermost axes
 * swapped. Tiles keep the strided side's cache lines in use across rows. */
static void dlk_transpose_tile(const unsigned char *x, int64_t xs, unsigned char *y, int64_t ys,
                               int64_t na, int64_t nb, int64_t es)
{
    enum { TILE = 32 };
    int64_t a0, b0, a;
    for (a0 = 0; a0 < na; a0 += TILE) {
        int64_t a1 = a0 + TILE < na ? a0 + TILE : na;
        for (b0 = 0; b0 < nb; b0 += TILE) {
            int64_t len = b0 + TILE < nb ? TILE : nb - b0;
            for (a = a0; a < a1; a++)
                dlk_gather_row(x + (a + b0 * xs) * es, xs, y + (a * ys + b0) * es, len, es);
        }
    }
}
/*@end*/

/*@ dlk_transpose_part : dlk_transpose_params dlk_transpose_tile */
/* The outputs whose index along output axis 0 is in [begin, end) (end < 0:
 * all of them; a range is honoured only when axis 0 is neither the last one
 * nor the strided side of the tiles, see dlk_transpose_splits). */
static void dlk_transpose_part(const dlk_transpose_params *p, const void *x, void *y, int64_t begin, int64_t end)
{
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    int64_t r = p->rank, es = p->elem_size, last = p->rank - 1;
    int64_t istride[DLK_MAX_RANK], odims[DLK_MAX_RANK], step[DLK_MAX_RANK];
    int64_t ostride[DLK_MAX_RANK], idx[DLK_MAX_RANK];
    int64_t i, a, s, q = -1, in_off = 0, out_off = 0;
    int tile;

    if (r <= 0) {
        memcpy(dst, src, (size_t)es);
        return;
    }
    for (s = 1, i = last; i >= 0; i--) {
        istride[i] = s;
        s *= p->in_dims[i];
    }
    if (s == 0)
        return;
    /* step[i]: input elements between neighbours along output axis i. */
    for (s = 1, i = last; i >= 0; i--) {
        odims[i] = p->in_dims[p->perm[i]];
        step[i] = istride[p->perm[i]];
        ostride[i] = s;
        s *= odims[i];
        idx[i] = 0;
        if (p->perm[i] == last)
            q = i;
    }
    /* When the input's last axis moves (to output axis q), output axes q and
     * last form a 2-D transpose done in tiles; otherwise each output row is
     * one contiguous input row. */
    tile = q >= 0 && q != last;
    if (end >= 0 && last > 0 && !(tile && q == 0)) {
        if (begin >= end)
            return;
        odims[0] = end;   /* the odometer stops there */
        idx[0] = begin;
        in_off = begin * step[0];
        out_off = begin * ostride[0];
    }
    for (;;) {
        if (tile)
            dlk_transpose_tile(src + in_off * es, step[last], dst + out_off * es, ostride[q],
                               odims[q], odims[last], es);
        else
            dlk_gather_row(src + in_off * es, step[last], dst + out_off * es, odims[last], es);
        /* Odometer over the remaining output axes. */
        for (a = last - 1; a >= 0; a--) {
            if (tile && a == q)
                continue;
            if (++idx[a] < odims[a]) {
                in_off += step[a];
                out_off += ostride[a];
                break;
            }
            in_off -= step[a] * (odims[a] - 1);
            out_off -= ostride[a] * (odims[a] - 1);
            idx[a] = 0;
        }
        if (a < 0)
            break;
    }
}
/*@end*/

/*@ dlk_transpose : dlk_transpose_part */
static void dlk_transpose(const dlk_transpose_params *p, const void *x, void *y)
{
    dlk_transpose_part(p, x, y, 0, -1);
}
/*@end*/

/*@ dlk_transpose_par : dlk_transpose_part dlk_parallel */
/* The same, output axis 0 split over the threads when the part can take a
 * range of it (ShuffleNet's channel shuffle, (g, C/g, HW) -> (C/g, g, HW),
 * splits its C/g rows of planes). */
typedef struct dlk_transpose_task {
    const dlk_transpose_params *p;
    const void *x;
    void *y;
} dlk_transpose_task;

static void dlk_transpose_run(void *arg, int64_t begin, int64_t end)
{
    const dlk_transpose_task *t = (const dlk_transpose_task *)arg;
    dlk_transpose_part(t->p, t->x, t->y, begin, end);
}

static void dlk_transpose_par(const dlk_par *par, const dlk_transpose_params *p, const void *x, void *y)
{
    const int64_t last = p->rank - 1;
    dlk_transpose_task t;
    t.p = p;
    t.x = x;
    t.y = y;
    /* Axis 0 splits unless it is the last one or the tiles' strided side (the input's last axis). */
    if (last > 0 && p->perm[0] != last)
        dlk_parallel_for(par, dlk_transpose_run, &t, p->in_dims[p->perm[0]]);
    else
        dlk_transpose_part(p, x, y, 0, -1);
}
/*@end*/

#endif
