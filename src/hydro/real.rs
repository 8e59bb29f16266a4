//! The floating-point type of the surface-flow state (`f32` or `f64`).
//!
//! The kernels are generic over [`Real`] so that both precisions can be measured on the
//! same code; [`crate::hydro::HydroModel`] fixes the one the engine uses (see the
//! `surface` module docs for the measurements behind the choice).
//!
//! Besides plain arithmetic, the trait carries the few operations the hot loops need in a
//! form the compiler can vectorise: branch-free max/min, an inverse cube root without
//! `powf`, and the raw bit pattern (for integer reductions that are exact and
//! order-independent).

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

/// A floating-point scalar usable as the surface-flow state type.
pub trait Real:
    Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + PartialEq
    + Debug
    + Display
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
{
    /// Unsigned integer of the same width (the bit pattern).
    type Bits: Copy + Ord + Default + Send + Sync + Debug;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// Bit pattern of +∞: any bit pattern of a non-negative value at or above it is
    /// not finite (∞ or NaN).
    const INF_BITS: Self::Bits;
    /// Mask of the exponent field.
    const EXP_BITS: Self::Bits;
    /// Name of the type ("f32" or "f64").
    const NAME: &'static str;
    /// Size in bytes.
    const BYTES: usize;

    /// Convert from `f64` (rounding to nearest).
    fn from_f64(v: f64) -> Self;
    /// Convert to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Square root (IEEE, correctly rounded).
    fn sqrt(self) -> Self;
    /// `x^(-1/3)` for positive normal `x` in the f32 range, branch-free (bit-level
    /// first guess plus Newton steps), relative error ≈ 1e-7 (f32 precision, also for
    /// f64: it only scales the friction term).
    fn inv_cbrt(self) -> Self;
    /// True when neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// The raw bit pattern.
    fn bits(self) -> Self::Bits;
    /// From a raw bit pattern.
    fn from_bits(b: Self::Bits) -> Self;
    /// Bitwise and of two bit patterns.
    fn and_bits(a: Self::Bits, b: Self::Bits) -> Self::Bits;
    /// Append the little-endian bytes of `self`.
    fn extend_le(self, out: &mut Vec<u8>);

    /// The larger of two values, as a plain compare-and-select (vectorises; with a NaN
    /// operand the result is unspecified — NaN is caught by the health checks).
    #[inline(always)]
    fn vmax(self, o: Self) -> Self {
        if self > o { self } else { o }
    }
    /// The smaller of two values, as a plain compare-and-select.
    #[inline(always)]
    fn vmin(self, o: Self) -> Self {
        if self < o { self } else { o }
    }
    /// Absolute value.
    #[inline(always)]
    fn vabs(self) -> Self {
        if self < Self::ZERO { -self } else { self }
    }
}

impl Real for f32 {
    type Bits = u32;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const EPSILON: Self = f32::EPSILON;
    const INF_BITS: u32 = 0x7f80_0000;
    const EXP_BITS: u32 = 0x7f80_0000;
    const NAME: &'static str = "f32";
    const BYTES: usize = 4;

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn inv_cbrt(self) -> Self {
        // First guess from the bit pattern: for x = 2^e·m, bits ≈ (e+127)·2^23, so
        // K − bits/3 approximates the bits of x^(−1/3). The division goes through f32
        // so that it vectorises (signed int ↔ float conversions exist in SSE/AVX).
        let i = self.to_bits() as i32;
        // SAFETY: `i as f32` is finite for every i32 and |i/3| < 2^31, so the value is
        // in range of i32 (the unchecked conversion avoids Rust's saturating `as`,
        // which does not vectorise).
        let third: i32 = unsafe { ((i as f32) * (1.0 / 3.0)).to_int_unchecked() };
        let mut y = f32::from_bits((0x54a2_fa8c_i32 - third) as u32);
        let x3 = self * (1.0 / 3.0);
        // Newton for y = x^(−1/3): y ← y·(4/3 − (x/3)·y³); quadratic convergence.
        for _ in 0..3 {
            y = y * ((4.0 / 3.0) - x3 * (y * y * y));
        }
        y
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    #[inline(always)]
    fn bits(self) -> u32 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_bits(b: u32) -> Self {
        f32::from_bits(b)
    }
    #[inline(always)]
    fn and_bits(a: u32, b: u32) -> u32 {
        a & b
    }
    fn extend_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Real for f64 {
    type Bits = u64;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const EPSILON: Self = f64::EPSILON;
    const INF_BITS: u64 = 0x7ff0_0000_0000_0000;
    const EXP_BITS: u64 = 0x7ff0_0000_0000_0000;
    const NAME: &'static str = "f64";
    const BYTES: usize = 8;

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn inv_cbrt(self) -> Self {
        // Evaluated in f32 (≈1e-7 relative, deterministic): the result only scales the
        // friction term, where that precision is far below anything physical, and the
        // f64 Newton steps it saves are a tenth of the flux kernel's arithmetic.
        (self as f32).inv_cbrt() as f64
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_bits(b: u64) -> Self {
        f64::from_bits(b)
    }
    #[inline(always)]
    fn and_bits(a: u64, b: u64) -> u64 {
        a & b
    }
    fn extend_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inv_cbrt_is_accurate_over_the_depth_range() {
        let mut x = 1e-4f64;
        while x < 1e3 {
            let exact = x.powf(-1.0 / 3.0);
            let e32 = ((x as f32).inv_cbrt() as f64 - exact).abs() / exact;
            let e64 = (x.inv_cbrt() - exact).abs() / exact;
            assert!(e32 < 4e-7, "f32 inv_cbrt({x}) rel err {e32}");
            assert!(e64 < 4e-7, "f64 inv_cbrt({x}) rel err {e64}");
            x *= 1.0137;
        }
    }

    #[test]
    fn bit_order_matches_value_order_for_non_negative() {
        let v = [0.0f32, 1e-30, 1e-3, 0.5, 1.0, 7.0, 1e30];
        for w in v.windows(2) {
            assert!(w[0].bits() < w[1].bits());
        }
        assert!(f32::INFINITY.bits() >= f32::INF_BITS);
        assert!(f32::NAN.bits() >= f32::INF_BITS);
    }
}
