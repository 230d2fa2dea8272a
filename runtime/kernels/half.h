/* IEEE 754 binary16 (float16) conversions. A float16 is stored as its
 * uint16_t bits (1 sign, 5 exponent bits biased by 15, 10 mantissa bits).
 *
 * float16 -> float32/float64 is exact. float32/float64 -> float16 rounds to
 * nearest, ties to even, directly from the source's bits (a double is not
 * rounded to float first: that would round twice), as numpy's astype does:
 * values >= 65520 become infinity, values below 2^-25 become (signed) zero,
 * those in between the smallest normal 2^-14 and 2^-25 become subnormals;
 * NaN stays a (quiet) NaN keeping the top payload bits, infinities stay. */
#ifndef DLK_HALF_H
#define DLK_HALF_H

#include "common.h"

/*@ dlk_f16_round */
/* Shifts the significand m right by shift (1..63) rounding to nearest even. */
static uint32_t dlk_f16_round(uint64_t m, int shift)
{
    const uint64_t rest = m & ((((uint64_t)1) << shift) - 1);
    const uint64_t halfway = ((uint64_t)1) << (shift - 1);
    uint32_t h = (uint32_t)(m >> shift);
    if (rest > halfway || (rest == halfway && (h & 1u)))
        h++;    /* a carry out of the mantissa correctly bumps the exponent */
    return h;
}
/*@end*/

/*@ dlk_f16_pack : dlk_f16_round */
/* sign (0 or 0x8000), e = the float16 biased exponent the value would have
 * (may be <= 0 or >= 31), m = the significand with its implicit leading 1
 * at bit `bits` (so the value is m * 2^(e - 15 - bits)). */
static uint16_t dlk_f16_pack(uint32_t sign, int32_t e, uint64_t m, int bits)
{
    if (e >= 31)
        return (uint16_t)(sign | 0x7C00u);
    if (e <= 0) {
        /* Subnormal: h units of 2^-24, h = m * 2^(e - 1 - bits + 10). */
        const int shift = bits - 9 - e;
        if (shift > 63)
            return (uint16_t)sign;
        return (uint16_t)(sign | dlk_f16_round(m, shift));
    }
    /* Normal: drop the implicit bit after rounding the low bits away. */
    return (uint16_t)(sign | (((uint32_t)e << 10) + dlk_f16_round(m, bits - 10) - 0x400u));
}
/*@end*/

/*@ dlk_f32_to_f16 : dlk_f16_pack */
static uint16_t dlk_f32_to_f16(float f)
{
    uint32_t x, exp, mant, sign;
    memcpy(&x, &f, sizeof x);
    sign = (x >> 16) & 0x8000u;
    exp = (x >> 23) & 0xFFu;
    mant = x & 0x7FFFFFu;
    if (exp == 0xFFu)   /* Inf, or NaN made quiet with its top payload bits */
        return (uint16_t)(sign | 0x7C00u | (mant != 0 ? 0x200u | (mant >> 13) : 0u));
    if (exp == 0)       /* zero or float32 subnormal (< 2^-126): zero */
        return (uint16_t)sign;
    return dlk_f16_pack(sign, (int32_t)exp - 127 + 15, (uint64_t)(mant | 0x800000u), 23);
}
/*@end*/

/*@ dlk_f64_to_f16 : dlk_f16_pack */
static uint16_t dlk_f64_to_f16(double f)
{
    uint64_t x, mant;
    uint32_t exp, sign;
    memcpy(&x, &f, sizeof x);
    sign = (uint32_t)(x >> 48) & 0x8000u;
    exp = (uint32_t)(x >> 52) & 0x7FFu;
    mant = x & 0xFFFFFFFFFFFFFull;
    if (exp == 0x7FFu)
        return (uint16_t)(sign | 0x7C00u | (mant != 0 ? 0x200u | (uint32_t)(mant >> 42) : 0u));
    if (exp == 0)
        return (uint16_t)sign;
    return dlk_f16_pack(sign, (int32_t)exp - 1023 + 15, mant | 0x10000000000000ull, 52);
}
/*@end*/

/*@ dlk_f16_to_f32 */
static float dlk_f16_to_f32(uint16_t h)
{
    const uint32_t sign = ((uint32_t)h & 0x8000u) << 16;
    const uint32_t exp = ((uint32_t)h >> 10) & 0x1Fu;
    const uint32_t mant = (uint32_t)h & 0x3FFu;
    uint32_t x;
    float f;
    if (exp == 0) {     /* zero or subnormal: mant * 2^-24, exact in float */
        f = (float)mant * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    if (exp == 31)
        x = sign | 0x7F800000u | (mant << 13);
    else
        x = sign | ((exp + 112u) << 23) | (mant << 13);
    memcpy(&f, &x, sizeof f);
    return f;
}
/*@end*/

#endif
