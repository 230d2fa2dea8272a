/* Cast between float32, float64, int64, int32, int8, uint8 and bool: one
 * section per (source, destination) pair, dlk_cast_SRC_DST, so generated code
 * holds only the loops it runs. bool is one byte holding 0 or 1.
 *
 * Semantics (those of onnxruntime's static_cast):
 *   float -> integer truncates toward zero (-1.7 -> -1). Values outside the
 *     destination's range and NaN are undefined in ONNX and in C; for the
 *     8-bit destinations the value goes through int32_t, so it wraps as on
 *     x86 instead of being undefined behaviour.
 *   integer -> narrower integer keeps the low bits (two's complement).
 *   anything -> bool is x != 0; bool -> anything is 0 or 1. */
#ifndef DLK_CAST_H
#define DLK_CAST_H

#include "common.h"
#include "half.h"

/*@ dlk_cast_copy */
/* Same type: the bytes as they are (memmove: the planner may run it in place). */
static void dlk_cast_copy(const void *x, void *y, int64_t bytes)
{
    memmove(y, x, (size_t)bytes);
}
/*@end*/

/*@ dlk_cast_f32_f64 */
static void dlk_cast_f32_f64(const float *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)x[i];
}
/*@end*/

/*@ dlk_cast_f32_i64 */
static void dlk_cast_f32_i64(const float *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)x[i];
}
/*@end*/

/*@ dlk_cast_f32_i32 */
static void dlk_cast_f32_i32(const float *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_f32_i8 */
static void dlk_cast_f32_i8(const float *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)(int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_f32_u8 */
static void dlk_cast_f32_u8(const float *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_f32_bool */
static void dlk_cast_f32_bool(const float *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_f64_f32 */
static void dlk_cast_f64_f32(const double *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (float)x[i];
}
/*@end*/

/*@ dlk_cast_f64_i64 */
static void dlk_cast_f64_i64(const double *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)x[i];
}
/*@end*/

/*@ dlk_cast_f64_i32 */
static void dlk_cast_f64_i32(const double *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_f64_i8 */
static void dlk_cast_f64_i8(const double *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)(int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_f64_u8 */
static void dlk_cast_f64_u8(const double *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_f64_bool */
static void dlk_cast_f64_bool(const double *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_i64_f32 */
static void dlk_cast_i64_f32(const int64_t *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (float)x[i];
}
/*@end*/

/*@ dlk_cast_i64_f64 */
static void dlk_cast_i64_f64(const int64_t *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)x[i];
}
/*@end*/

/*@ dlk_cast_i64_i32 */
static void dlk_cast_i64_i32(const int64_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_i64_i8 */
static void dlk_cast_i64_i8(const int64_t *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)x[i];
}
/*@end*/

/*@ dlk_cast_i64_u8 */
static void dlk_cast_i64_u8(const int64_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)x[i];
}
/*@end*/

/*@ dlk_cast_i64_bool */
static void dlk_cast_i64_bool(const int64_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_i32_f32 */
static void dlk_cast_i32_f32(const int32_t *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (float)x[i];
}
/*@end*/

/*@ dlk_cast_i32_f64 */
static void dlk_cast_i32_f64(const int32_t *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)x[i];
}
/*@end*/

/*@ dlk_cast_i32_i64 */
static void dlk_cast_i32_i64(const int32_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)x[i];
}
/*@end*/

/*@ dlk_cast_i32_i8 */
static void dlk_cast_i32_i8(const int32_t *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)x[i];
}
/*@end*/

/*@ dlk_cast_i32_u8 */
static void dlk_cast_i32_u8(const int32_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)x[i];
}
/*@end*/

/*@ dlk_cast_i32_bool */
static void dlk_cast_i32_bool(const int32_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_i8_f32 */
static void dlk_cast_i8_f32(const int8_t *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (float)x[i];
}
/*@end*/

/*@ dlk_cast_i8_f64 */
static void dlk_cast_i8_f64(const int8_t *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)x[i];
}
/*@end*/

/*@ dlk_cast_i8_i64 */
static void dlk_cast_i8_i64(const int8_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)x[i];
}
/*@end*/

/*@ dlk_cast_i8_i32 */
static void dlk_cast_i8_i32(const int8_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_i8_u8 */
static void dlk_cast_i8_u8(const int8_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)x[i];
}
/*@end*/

/*@ dlk_cast_i8_bool */
static void dlk_cast_i8_bool(const int8_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_u8_f32 */
static void dlk_cast_u8_f32(const uint8_t *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (float)x[i];
}
/*@end*/

/*@ dlk_cast_u8_f64 */
static void dlk_cast_u8_f64(const uint8_t *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)x[i];
}
/*@end*/

/*@ dlk_cast_u8_i64 */
static void dlk_cast_u8_i64(const uint8_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)x[i];
}
/*@end*/

/*@ dlk_cast_u8_i32 */
static void dlk_cast_u8_i32(const uint8_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)x[i];
}
/*@end*/

/*@ dlk_cast_u8_i8 */
static void dlk_cast_u8_i8(const uint8_t *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)x[i];
}
/*@end*/

/*@ dlk_cast_u8_bool */
static void dlk_cast_u8_bool(const uint8_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_bool_f32 */
static void dlk_cast_bool_f32(const uint8_t *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (float)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_bool_f64 */
static void dlk_cast_bool_f64(const uint8_t *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_bool_i64 */
static void dlk_cast_bool_i64(const uint8_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_bool_i32 */
static void dlk_cast_bool_i32(const uint8_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_bool_i8 */
static void dlk_cast_bool_i8(const uint8_t *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)(x[i] != 0);
}
/*@end*/

/*@ dlk_cast_bool_u8 */
static void dlk_cast_bool_u8(const uint8_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(x[i] != 0);
}
/*@end*/


/* float16 (uint16_t bits, half.h): to float16 rounds to nearest even; from
 * float16 to an integer goes through float32 and truncates like the rest. */
/*@ dlk_cast_f16_f32 : dlk_f16_to_f32 */
static void dlk_cast_f16_f32(const uint16_t *x, float *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f16_to_f32(x[i]);
}
/*@end*/

/*@ dlk_cast_f16_f64 : dlk_f16_to_f32 */
static void dlk_cast_f16_f64(const uint16_t *x, double *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (double)dlk_f16_to_f32(x[i]);
}
/*@end*/

/*@ dlk_cast_f16_i64 : dlk_f16_to_f32 */
static void dlk_cast_f16_i64(const uint16_t *x, int64_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int64_t)dlk_f16_to_f32(x[i]);
}
/*@end*/

/*@ dlk_cast_f16_i32 : dlk_f16_to_f32 */
static void dlk_cast_f16_i32(const uint16_t *x, int32_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int32_t)dlk_f16_to_f32(x[i]);
}
/*@end*/

/*@ dlk_cast_f16_i8 : dlk_f16_to_f32 */
static void dlk_cast_f16_i8(const uint16_t *x, int8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (int8_t)(int32_t)dlk_f16_to_f32(x[i]);
}
/*@end*/

/*@ dlk_cast_f16_u8 : dlk_f16_to_f32 */
static void dlk_cast_f16_u8(const uint16_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(int32_t)dlk_f16_to_f32(x[i]);
}
/*@end*/

/*@ dlk_cast_f16_bool : dlk_common */
static void dlk_cast_f16_bool(const uint16_t *x, uint8_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)((x[i] & 0x7FFFu) != 0);
}
/*@end*/

/*@ dlk_cast_f32_f16 : dlk_f32_to_f16 */
static void dlk_cast_f32_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f32_to_f16(x[i]);
}
/*@end*/

/*@ dlk_cast_f64_f16 : dlk_f64_to_f16 */
static void dlk_cast_f64_f16(const double *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f64_to_f16(x[i]);
}
/*@end*/

/*@ dlk_cast_i64_f16 : dlk_f64_to_f16 */
static void dlk_cast_i64_f16(const int64_t *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f64_to_f16((double)x[i]);
}
/*@end*/

/*@ dlk_cast_i32_f16 : dlk_f64_to_f16 */
static void dlk_cast_i32_f16(const int32_t *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f64_to_f16((double)x[i]);
}
/*@end*/

/*@ dlk_cast_i8_f16 : dlk_f64_to_f16 */
static void dlk_cast_i8_f16(const int8_t *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f64_to_f16((double)x[i]);
}
/*@end*/

/*@ dlk_cast_u8_f16 : dlk_f64_to_f16 */
static void dlk_cast_u8_f16(const uint8_t *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = dlk_f64_to_f16((double)x[i]);
}
/*@end*/

/*@ dlk_cast_bool_f16 : dlk_common */
static void dlk_cast_bool_f16(const uint8_t *x, uint16_t *y, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint16_t)(x[i] != 0 ? 0x3C00u : 0u);
}
/*@end*/

#endif
