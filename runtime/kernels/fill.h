/* Fill: a tensor set to one value (ConstantOfShape). All-zero values of any
 * type take the memset path; one-byte types use memset with their byte. */
#ifndef DLK_FILL_H
#define DLK_FILL_H

#include "common.h"

/*@ dlk_fill_zero */
static void dlk_fill_zero(void *y, int64_t bytes)
{
    memset(y, 0, (size_t)bytes);
}
/*@end*/

/*@ dlk_fill_bytes */
/* uint8, int8 and bool: value is the element's byte (int8 -1 is 255). */
static void dlk_fill_bytes(void *y, int64_t n, int64_t value)
{
    memset(y, (int)(value & 0xff), (size_t)n);
}
/*@end*/

/*@ dlk_fill_f32 */
static void dlk_fill_f32(float *y, int64_t n, float value)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = value;
}
/*@end*/

/*@ dlk_fill_f64 */
static void dlk_fill_f64(double *y, int64_t n, double value)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = value;
}
/*@end*/

/*@ dlk_fill_i32 */
static void dlk_fill_i32(int32_t *y, int64_t n, int32_t value)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = value;
}
/*@end*/

/*@ dlk_fill_i64 */
static void dlk_fill_i64(int64_t *y, int64_t n, int64_t value)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = value;
}
/*@end*/

#endif
