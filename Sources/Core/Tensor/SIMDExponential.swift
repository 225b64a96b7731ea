import _Builtin_intrinsics.intel

/// `exp` of eight floats at once: the fusion takes one per vocabulary entry, λ and row
/// (about 100,000 a response row), attention one per score and SwiGLU one per gate
/// value, and the scalar libm call was most of that time (this is about 3x faster).
/// Cephes' single-precision method: `x = n·ln 2 + r` with |r| ≤ ln 2 / 2 (n rounded by
/// adding 1.5·2^23, which leaves it in the low mantissa bits), a degree-5 polynomial for
/// `exp(r)` (relative error about 1e-7, that of float32 itself), and `2^n` built in the
/// exponent bits. Arguments are clamped to [−87.3, 88.37], where `2^n` stays a normal
/// float: below, the result is about 1e-38 instead of smaller; above, about 2.4e38
/// instead of larger - as good as 0 and ∞ to the sums, softmaxes and sigmoids it feeds.
enum SIMDExponential {
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // The instruction: the generic `pointwiseMin` is a call per vector.
        exp(atMost88: _mm256_min_ps(x, _mm256_set1_ps(88.37626)))
    }

    /// `exp` of eight floats known to be at most 88.37 (max-subtracted logits are at
    /// most 0): the upper clamp left out.
    @inline(__always)
    static func exp(atMost88 x: SIMD8<Float>) -> SIMD8<Float> {
        let clamped = _mm256_max_ps(x, _mm256_set1_ps(-87.33654))
        let magic = SIMD8<Float>(repeating: 12582912)
        let shifted = magic.addingProduct(clamped, SIMD8(repeating: 1.442695040888963))
        let n = shifted - magic
        let r = clamped.addingProduct(n, SIMD8(repeating: -0.693359375)).addingProduct(n, SIMD8(repeating: 2.12194440e-4))
        var p = SIMD8<Float>(repeating: 1.3981999507e-3).addingProduct(r, SIMD8(repeating: 1.9875691500e-4))
        p = SIMD8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.0000001201e-1).addingProduct(p, r)
        p = (r + 1).addingProduct(p, r * r)
        let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return p * unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD8<Float>.self)
    }
}
