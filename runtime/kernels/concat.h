/* Concat and Split as strided block copies, one call per input (Concat) or
 * per output (Split). Viewing a tensor as (outer, axis, inner), the part
 * along the axis that one input owns is a block of contiguous bytes in each
 * of the `outer` rows; sizes are in bytes so every dtype shares the code. */
#ifndef DLK_CONCAT_H
#define DLK_CONCAT_H

#include "common.h"

/*@ dlk_concat_part */
/* Row o of x (x_block bytes) goes to y + o*y_block + y_offset. */
static void dlk_concat_part(const void *x, void *y, int64_t outer, int64_t x_block,
                            int64_t y_block, int64_t y_offset)
{
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y + y_offset;
    int64_t o;
    if (x_block <= 0 || (outer == 1 && dst == src))
        return; /* empty, or already written in place by x's producer */
    for (o = 0; o < outer; o++)
        memcpy(dst + o * y_block, src + o * x_block, (size_t)x_block);
}
/*@end*/

/*@ dlk_split_part */
/* Row o of y (y_block bytes) comes from x + o*x_block + x_offset. */
static void dlk_split_part(const void *x, void *y, int64_t outer, int64_t x_block,
                           int64_t y_block, int64_t x_offset)
{
    const unsigned char *src = (const unsigned char *)x + x_offset;
    unsigned char *dst = (unsigned char *)y;
    int64_t o;
    if (y_block <= 0 || (outer == 1 && dst == src))
        return; /* empty, or y is already a view into x */
    for (o = 0; o < outer; o++)
        memcpy(dst + o * y_block, src + o * x_block, (size_t)y_block);
}
/*@end*/

#endif
