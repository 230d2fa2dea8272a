/* Comparison, logic, bitwise, Mod and BitShift kernels (numpy broadcasting,
 * through binary.h's dlk_binary_params and loop macros), the one-input
 * element-wise Not BitwiseNot IsNaN IsInf Sign, and Where.
 *
 * Binary kernels here come as the general entry point only,
 * dlk_OP_bcast_T(p, a, b, y): the compiler merges dims before calling, so
 * same-shape and scalar operands still run as one flat loop. Bool tensors
 * are uint8_t holding 0 or 1. */
#ifndef DLK_COMPARE_H
#define DLK_COMPARE_H

#include "binary.h"
#include "common.h"

/*@ dlk_compare_unary : dlk_common */
#define DLK_UNARY(NAME, TX, TY, EXPR)                                          \
    static void NAME(const TX *xs, TY *y, int64_t n)                           \
    {                                                                          \
        int64_t i;                                                             \
        for (i = 0; i < n; i++) {                                              \
            const TX x = xs[i];                                                \
            y[i] = (EXPR);                                                     \
        }                                                                      \
    }
/*@end*/

/* ------------------------------------------------- comparisons */

/*@ dlk_equal_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_f32, float, float, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_f64, double, double, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_i8, int8_t, int8_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_i16, int16_t, int16_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_i32, int32_t, int32_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_i64, int64_t, int64_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_u16, uint16_t, uint16_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_u32, uint32_t, uint32_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_u64, uint64_t, uint64_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_equal_bcast_bool : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_equal_bcast_bool, uint8_t, uint8_t, uint8_t, (uint8_t)(u == v))
/*@end*/
/*@ dlk_greater_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_f32, float, float, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_f64, double, double, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_i8, int8_t, int8_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_i16, int16_t, int16_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_i32, int32_t, int32_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_i64, int64_t, int64_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_u16, uint16_t, uint16_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_u32, uint32_t, uint32_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_greater_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_bcast_u64, uint64_t, uint64_t, uint8_t, (uint8_t)(u > v))
/*@end*/
/*@ dlk_less_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_f32, float, float, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_f64, double, double, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_i8, int8_t, int8_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_i16, int16_t, int16_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_i32, int32_t, int32_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_i64, int64_t, int64_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_u16, uint16_t, uint16_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_u32, uint32_t, uint32_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_less_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_bcast_u64, uint64_t, uint64_t, uint8_t, (uint8_t)(u < v))
/*@end*/
/*@ dlk_greater_equal_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_f32, float, float, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_f64, double, double, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_i8, int8_t, int8_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_i16, int16_t, int16_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_i32, int32_t, int32_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_i64, int64_t, int64_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_u16, uint16_t, uint16_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_u32, uint32_t, uint32_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_greater_equal_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_greater_equal_bcast_u64, uint64_t, uint64_t, uint8_t, (uint8_t)(u >= v))
/*@end*/
/*@ dlk_less_equal_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_f32, float, float, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_f64, double, double, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_i8, int8_t, int8_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_i16, int16_t, int16_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_i32, int32_t, int32_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_i64, int64_t, int64_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_u16, uint16_t, uint16_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_u32, uint32_t, uint32_t, uint8_t, (uint8_t)(u <= v))
/*@end*/
/*@ dlk_less_equal_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_less_equal_bcast_u64, uint64_t, uint64_t, uint8_t, (uint8_t)(u <= v))
/*@end*/

/* ------------------------------------------------- logic (bool) */

/*@ dlk_and_bcast_bool : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_and_bcast_bool, uint8_t, uint8_t, uint8_t, (uint8_t)(u != 0 && v != 0))
/*@end*/
/*@ dlk_or_bcast_bool : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_or_bcast_bool, uint8_t, uint8_t, uint8_t, (uint8_t)(u != 0 || v != 0))
/*@end*/
/*@ dlk_xor_bcast_bool : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_xor_bcast_bool, uint8_t, uint8_t, uint8_t, (uint8_t)((u != 0) != (v != 0)))
/*@end*/

/* ------------------------------------------------- bitwise */

/*@ dlk_bitwise_and_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_i32, int32_t, int32_t, int32_t, (int32_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_i64, int64_t, int64_t, int64_t, (int64_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_u32, uint32_t, uint32_t, uint32_t, (uint32_t)(u & v))
/*@end*/
/*@ dlk_bitwise_and_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_and_bcast_u64, uint64_t, uint64_t, uint64_t, (uint64_t)(u & v))
/*@end*/
/*@ dlk_bitwise_or_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_i32, int32_t, int32_t, int32_t, (int32_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_i64, int64_t, int64_t, int64_t, (int64_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_u32, uint32_t, uint32_t, uint32_t, (uint32_t)(u | v))
/*@end*/
/*@ dlk_bitwise_or_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_or_bcast_u64, uint64_t, uint64_t, uint64_t, (uint64_t)(u | v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_i8, int8_t, int8_t, int8_t, (int8_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_i16, int16_t, int16_t, int16_t, (int16_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_i32, int32_t, int32_t, int32_t, (int32_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_i64, int64_t, int64_t, int64_t, (int64_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_u8, uint8_t, uint8_t, uint8_t, (uint8_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_u16, uint16_t, uint16_t, uint16_t, (uint16_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_u32, uint32_t, uint32_t, uint32_t, (uint32_t)(u ^ v))
/*@end*/
/*@ dlk_bitwise_xor_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_bitwise_xor_bcast_u64, uint64_t, uint64_t, uint64_t, (uint64_t)(u ^ v))
/*@end*/

/* ------------------------------------------------- Mod */

/* fmod=0: the result takes the divisor's sign (Python's %); fmod=1: the
 * dividend's (C's % and fmod). An integer divisor of 0 gives 0 rather than a
 * trap (ONNX leaves it undefined), and so does -1, which keeps MIN % -1 from
 * overflowing (its true result is 0 anyway). */
/*@ dlk_mod_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_i8, int8_t, int8_t, int8_t, v == 0 || v == -1 ? (int8_t)0 : (int8_t)(u % v != 0 && (u % v < 0) != (v < 0) ? u % v + v : u % v))
/*@end*/
/*@ dlk_fmod_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_i8, int8_t, int8_t, int8_t, v == 0 || v == -1 ? (int8_t)0 : (int8_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_i16, int16_t, int16_t, int16_t, v == 0 || v == -1 ? (int16_t)0 : (int16_t)(u % v != 0 && (u % v < 0) != (v < 0) ? u % v + v : u % v))
/*@end*/
/*@ dlk_fmod_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_i16, int16_t, int16_t, int16_t, v == 0 || v == -1 ? (int16_t)0 : (int16_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_i32, int32_t, int32_t, int32_t, v == 0 || v == -1 ? (int32_t)0 : (int32_t)(u % v != 0 && (u % v < 0) != (v < 0) ? u % v + v : u % v))
/*@end*/
/*@ dlk_fmod_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_i32, int32_t, int32_t, int32_t, v == 0 || v == -1 ? (int32_t)0 : (int32_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_i64, int64_t, int64_t, int64_t, v == 0 || v == -1 ? (int64_t)0 : (int64_t)(u % v != 0 && (u % v < 0) != (v < 0) ? u % v + v : u % v))
/*@end*/
/*@ dlk_fmod_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_i64, int64_t, int64_t, int64_t, v == 0 || v == -1 ? (int64_t)0 : (int64_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_u8, uint8_t, uint8_t, uint8_t, v == 0 ? (uint8_t)0 : (uint8_t)(u % v))
/*@end*/
/*@ dlk_fmod_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_u8, uint8_t, uint8_t, uint8_t, v == 0 ? (uint8_t)0 : (uint8_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_u16, uint16_t, uint16_t, uint16_t, v == 0 ? (uint16_t)0 : (uint16_t)(u % v))
/*@end*/
/*@ dlk_fmod_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_u16, uint16_t, uint16_t, uint16_t, v == 0 ? (uint16_t)0 : (uint16_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_u32, uint32_t, uint32_t, uint32_t, v == 0 ? (uint32_t)0 : (uint32_t)(u % v))
/*@end*/
/*@ dlk_fmod_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_u32, uint32_t, uint32_t, uint32_t, v == 0 ? (uint32_t)0 : (uint32_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_u64, uint64_t, uint64_t, uint64_t, v == 0 ? (uint64_t)0 : (uint64_t)(u % v))
/*@end*/
/*@ dlk_fmod_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_u64, uint64_t, uint64_t, uint64_t, v == 0 ? (uint64_t)0 : (uint64_t)(u % v))
/*@end*/
/*@ dlk_mod_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_f32, float, float, float, fmodf(u, v) != 0 ? (((fmodf(u, v) < 0) != (v < 0)) ? fmodf(u, v) + v : fmodf(u, v)) : copysignf((float)0, v))
/*@end*/
/*@ dlk_fmod_bcast_f32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_f32, float, float, float, fmodf(u, v))
/*@end*/
/*@ dlk_mod_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_mod_bcast_f64, double, double, double, fmod(u, v) != 0 ? (((fmod(u, v) < 0) != (v < 0)) ? fmod(u, v) + v : fmod(u, v)) : copysign((double)0, v))
/*@end*/
/*@ dlk_fmod_bcast_f64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_fmod_bcast_f64, double, double, double, fmod(u, v))
/*@end*/

/* ------------------------------------------------- BitShift */

/* A shift by the width or more (or, for signed types, by a negative amount)
 * shifts every bit out: 0 to the left, the sign to the right. Left shifts go
 * through uint64_t so they wrap instead of overflowing; a signed right shift
 * is written with ~ so it is arithmetic whatever the compiler does with >>
 * on negative values. */
/*@ dlk_shl_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_i8, int8_t, int8_t, int8_t, v < 0 || v >= 8 ? (int8_t)0 : (int8_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_i8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_i8, int8_t, int8_t, int8_t, v < 0 || v >= 8 ? (int8_t)(u < 0 ? -1 : 0) : (int8_t)(u < 0 ? ~(~u >> v) : u >> v))
/*@end*/
/*@ dlk_shl_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_i16, int16_t, int16_t, int16_t, v < 0 || v >= 16 ? (int16_t)0 : (int16_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_i16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_i16, int16_t, int16_t, int16_t, v < 0 || v >= 16 ? (int16_t)(u < 0 ? -1 : 0) : (int16_t)(u < 0 ? ~(~u >> v) : u >> v))
/*@end*/
/*@ dlk_shl_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_i32, int32_t, int32_t, int32_t, v < 0 || v >= 32 ? (int32_t)0 : (int32_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_i32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_i32, int32_t, int32_t, int32_t, v < 0 || v >= 32 ? (int32_t)(u < 0 ? -1 : 0) : (int32_t)(u < 0 ? ~(~u >> v) : u >> v))
/*@end*/
/*@ dlk_shl_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_i64, int64_t, int64_t, int64_t, v < 0 || v >= 64 ? (int64_t)0 : (int64_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_i64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_i64, int64_t, int64_t, int64_t, v < 0 || v >= 64 ? (int64_t)(u < 0 ? -1 : 0) : (int64_t)(u < 0 ? ~(~u >> v) : u >> v))
/*@end*/
/*@ dlk_shl_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_u8, uint8_t, uint8_t, uint8_t, v >= 8 ? (uint8_t)0 : (uint8_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_u8 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_u8, uint8_t, uint8_t, uint8_t, v >= 8 ? (uint8_t)0 : (uint8_t)(u >> v))
/*@end*/
/*@ dlk_shl_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_u16, uint16_t, uint16_t, uint16_t, v >= 16 ? (uint16_t)0 : (uint16_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_u16 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_u16, uint16_t, uint16_t, uint16_t, v >= 16 ? (uint16_t)0 : (uint16_t)(u >> v))
/*@end*/
/*@ dlk_shl_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_u32, uint32_t, uint32_t, uint32_t, v >= 32 ? (uint32_t)0 : (uint32_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_u32 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_u32, uint32_t, uint32_t, uint32_t, v >= 32 ? (uint32_t)0 : (uint32_t)(u >> v))
/*@end*/
/*@ dlk_shl_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shl_bcast_u64, uint64_t, uint64_t, uint64_t, v >= 64 ? (uint64_t)0 : (uint64_t)((uint64_t)u << v))
/*@end*/
/*@ dlk_shr_bcast_u64 : dlk_binary_params dlk_binary_loops */
DLK_BINARY_BCAST(dlk_shr_bcast_u64, uint64_t, uint64_t, uint64_t, v >= 64 ? (uint64_t)0 : (uint64_t)(u >> v))
/*@end*/

/* ------------------------------------------------- element-wise, one input */

/*@ dlk_not_bool : dlk_compare_unary */
DLK_UNARY(dlk_not_bool, uint8_t, uint8_t, (uint8_t)(x == 0))
/*@end*/
/*@ dlk_bitwise_not_i8 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_i8, int8_t, int8_t, (int8_t)~x)
/*@end*/
/*@ dlk_bitwise_not_i16 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_i16, int16_t, int16_t, (int16_t)~x)
/*@end*/
/*@ dlk_bitwise_not_i32 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_i32, int32_t, int32_t, (int32_t)~x)
/*@end*/
/*@ dlk_bitwise_not_i64 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_i64, int64_t, int64_t, (int64_t)~x)
/*@end*/
/*@ dlk_bitwise_not_u8 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_u8, uint8_t, uint8_t, (uint8_t)~x)
/*@end*/
/*@ dlk_bitwise_not_u16 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_u16, uint16_t, uint16_t, (uint16_t)~x)
/*@end*/
/*@ dlk_bitwise_not_u32 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_u32, uint32_t, uint32_t, (uint32_t)~x)
/*@end*/
/*@ dlk_bitwise_not_u64 : dlk_compare_unary */
DLK_UNARY(dlk_bitwise_not_u64, uint64_t, uint64_t, (uint64_t)~x)
/*@end*/
/*@ dlk_isnan_f32 : dlk_compare_unary */
DLK_UNARY(dlk_isnan_f32, float, uint8_t, (uint8_t)(x != x))
/*@end*/
/*@ dlk_isnan_f64 : dlk_compare_unary */
DLK_UNARY(dlk_isnan_f64, double, uint8_t, (uint8_t)(x != x))
/*@end*/
/*@ dlk_sign_f32 : dlk_compare_unary */
DLK_UNARY(dlk_sign_f32, float, float, x != x ? x : (float)((x > 0) - (x < 0)))
/*@end*/
/*@ dlk_sign_f64 : dlk_compare_unary */
DLK_UNARY(dlk_sign_f64, double, double, x != x ? x : (double)((x > 0) - (x < 0)))
/*@end*/
/*@ dlk_sign_i8 : dlk_compare_unary */
DLK_UNARY(dlk_sign_i8, int8_t, int8_t, (int8_t)((x > 0) - (x < 0)))
/*@end*/
/*@ dlk_sign_i16 : dlk_compare_unary */
DLK_UNARY(dlk_sign_i16, int16_t, int16_t, (int16_t)((x > 0) - (x < 0)))
/*@end*/
/*@ dlk_sign_i32 : dlk_compare_unary */
DLK_UNARY(dlk_sign_i32, int32_t, int32_t, (int32_t)((x > 0) - (x < 0)))
/*@end*/
/*@ dlk_sign_i64 : dlk_compare_unary */
DLK_UNARY(dlk_sign_i64, int64_t, int64_t, (int64_t)((x > 0) - (x < 0)))
/*@end*/
/*@ dlk_sign_u8 : dlk_compare_unary */
DLK_UNARY(dlk_sign_u8, uint8_t, uint8_t, (uint8_t)(x > 0))
/*@end*/
/*@ dlk_sign_u16 : dlk_compare_unary */
DLK_UNARY(dlk_sign_u16, uint16_t, uint16_t, (uint16_t)(x > 0))
/*@end*/
/*@ dlk_sign_u32 : dlk_compare_unary */
DLK_UNARY(dlk_sign_u32, uint32_t, uint32_t, (uint32_t)(x > 0))
/*@end*/
/*@ dlk_sign_u64 : dlk_compare_unary */
DLK_UNARY(dlk_sign_u64, uint64_t, uint64_t, (uint64_t)(x > 0))
/*@end*/

/* IsInf: which infinities count is decided per node (detect_negative,
 * detect_positive), so it is an argument. */
/*@ dlk_isinf_f32 : dlk_common */
static void dlk_isinf_f32(const float *x, uint8_t *y, int64_t n, int64_t neg, int64_t pos)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)((pos && x[i] == INFINITY) || (neg && x[i] == -INFINITY));
}
/*@end*/
/*@ dlk_isinf_f64 : dlk_common */
static void dlk_isinf_f64(const double *x, uint8_t *y, int64_t n, int64_t neg, int64_t pos)
{
    int64_t i;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)((pos && x[i] == (double)INFINITY) || (neg && x[i] == -(double)INFINITY));
}
/*@end*/

/* ------------------------------------------------- Where */

/*@ dlk_where_params : dlk_common */
/* y = cond ? x : z with all three broadcast to y's dims; strides are in
 * elements, 0 where the operand is broadcast. */
typedef struct dlk_where_params {
    int64_t rank;                     /* 1..DLK_MAX_RANK */
    int64_t dims[DLK_MAX_RANK];
    int64_t c_strides[DLK_MAX_RANK];
    int64_t x_strides[DLK_MAX_RANK];
    int64_t z_strides[DLK_MAX_RANK];
} dlk_where_params;
/*@end*/

/* Where moves elements, never looks at them: one kernel per element size,
 * copying bytes (memcpy of a constant size compiles to one load and store). */
/*@ dlk_where_loops : dlk_where_params */
#define DLK_WHERE(NAME, S)                                                     \
    static void NAME(const dlk_where_params *p, const uint8_t *c, const void *xv, const void *zv, void *yv) \
    {                                                                          \
        const unsigned char *x = (const unsigned char *)xv;                    \
        const unsigned char *z = (const unsigned char *)zv;                    \
        unsigned char *y = (unsigned char *)yv;                                \
        int64_t idx[DLK_MAX_RANK] = {0};                                       \
        int64_t total = 1, i;                                                  \
        const int last = (int)p->rank - 1;                                     \
        int k;                                                                 \
        for (k = 0; k <= last; k++)                                            \
            total *= p->dims[k];                                               \
        for (i = 0; i < total; i++) {                                          \
            memcpy(y + i * S, *c ? x : z, S);                                  \
            for (k = last; k >= 0; k--) {                                      \
                c += p->c_strides[k];                                          \
                x += p->x_strides[k] * S;                                      \
                z += p->z_strides[k] * S;                                      \
                if (++idx[k] < p->dims[k])                                     \
                    break;                                                     \
                c -= p->c_strides[k] * p->dims[k];                             \
                x -= p->x_strides[k] * p->dims[k] * S;                         \
                z -= p->z_strides[k] * p->dims[k] * S;                         \
                idx[k] = 0;                                                    \
            }                                                                  \
        }                                                                      \
    }
/*@end*/
/*@ dlk_where_1 : dlk_where_loops */
DLK_WHERE(dlk_where_1, 1)
/*@end*/
/*@ dlk_where_2 : dlk_where_loops */
DLK_WHERE(dlk_where_2, 2)
/*@end*/
/*@ dlk_where_4 : dlk_where_loops */
DLK_WHERE(dlk_where_4, 4)
/*@end*/
/*@ dlk_where_8 : dlk_where_loops */
DLK_WHERE(dlk_where_8, 8)
/*@end*/

#endif
