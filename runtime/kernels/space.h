/* DepthToSpace and SpaceToDepth on NCHW tensors, generic in the element
 * size. Both walk the space-side tensor (N, C, H*b, W*b) and map each
 * element to its depth-side position (N, C*b*b, H, W):
 *   DCR: depth channel (i*b + j)*C + c      CRD: depth channel c*b*b + i*b + j
 * where (i, j) is the position inside the b x b block. DepthToSpace copies
 * depth -> space, SpaceToDepth space -> depth. */
#ifndef DLK_SPACE_H
#define DLK_SPACE_H

#include "common.h"

/*@ dlk_space_params */
typedef struct dlk_space_params {
    int64_t n, c, h, w;     /* c: space-side channels; h, w: depth-side spatial dims */
    int64_t block;
    int64_t crd;            /* 1: CRD order, 0: DCR */
    int64_t elem_size;
    int64_t to_space;       /* 1: DepthToSpace, 0: SpaceToDepth */
} dlk_space_params;
/*@end*/

/*@ dlk_space_depth : dlk_space_params */
static void dlk_space_depth(const dlk_space_params *p, const void *x, void *y)
{
    const unsigned char *in = (const unsigned char *)x;
    unsigned char *out = (unsigned char *)y;
    const int64_t b = p->block, es = p->elem_size;
    const int64_t sh = p->h * b, sw = p->w * b, dc = p->c * b * b;
    int64_t n, c, yy, xx;
    for (n = 0; n < p->n; n++)
        for (c = 0; c < p->c; c++)
            for (yy = 0; yy < sh; yy++)
                for (xx = 0; xx < sw; xx++) {
                    const int64_t i = yy % b, j = xx % b;
                    const int64_t ch = p->crd ? c * b * b + i * b + j : (i * b + j) * p->c + c;
                    const int64_t s_off = ((n * p->c + c) * sh + yy) * sw + xx;
                    const int64_t d_off = ((n * dc + ch) * p->h + yy / b) * p->w + xx / b;
                    if (p->to_space)
                        memcpy(out + s_off * es, in + d_off * es, (size_t)es);
                    else
                        memcpy(out + d_off * es, in + s_off * es, (size_t)es);
                }
}
/*@end*/

#endif
