import _Builtin_intrinsics.intel

/// Rows of float activations quantised to 8-bit blocks of 32 along the row, as
/// llama.cpp's q8_1: per block a scale `d = max|x| / 127`, `q = round(x / d)` and
/// `d · Σq` (for the minimum term of Q4_1 and the offset of Q4_0). A quantised product
/// reads these instead of the floats: its block dot products are then exact integer sums.
final class QuantizedActivations {
    static let blockSize = 32
    let rows: Int
    let blocksPerRow: Int
    /// `[rows, blocksPerRow · 32]`.
    let quants: UnsafeMutablePointer<Int8>
    /// `[rows, blocksPerRow]` each.
    let scales: UnsafeMutablePointer<Float>
    let scaledSums: UnsafeMutablePointer<Float>

    /// Quantises `rows` rows of `cols` floats (a multiple of 32) from `x`.
    init(_ x: UnsafePointer<Float>, rows: Int, cols: Int) {
        precondition(cols % Self.blockSize == 0, "\(cols) columns are not whole blocks of \(Self.blockSize)")
        self.rows = rows
        blocksPerRow = cols / Self.blockSize
        let blocks = rows * blocksPerRow
        quants = .allocate(capacity: max(1, blocks * Self.blockSize))
        scales = .allocate(capacity: max(1, blocks))
        scaledSums = .allocate(capacity: max(1, blocks))
        for block in 0..<blocks { quantize(x + block * Self.blockSize, block: block) }
    }

    /// One block, in AVX2 as llama.cpp's `quantize_row_q8_1`: `q = x · (1/d)` rounded to
    /// nearest, ties to even (the conversion's default), packed to bytes in order.
    @inline(__always)
    private func quantize(_ x: UnsafePointer<Float>, block: Int) {
        let v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8)
        let v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24)
        let signBit = _mm256_set1_ps(-0.0)
        let largest8 = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signBit, v0), _mm256_andnot_ps(signBit, v1)),
                                     _mm256_max_ps(_mm256_andnot_ps(signBit, v2), _mm256_andnot_ps(signBit, v3)))
        let largest4 = _mm_max_ps(largest8.lowHalf, largest8.highHalf)
        let largest2 = _mm_max_ps(largest4, _mm_movehl_ps(largest4, largest4))
        let largest = _mm_cvtss_f32(_mm_max_ss(largest2, _mm_movehdup_ps(largest2)))
        let d = largest / 127
        let inverse = _mm256_set1_ps(d == 0 ? 0 : 1 / d)
        let q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, inverse)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, inverse))
        let q2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, inverse)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, inverse))
        let total = unsafeBitCast(_mm256_add_epi32(_mm256_add_epi32(q0, q1), _mm256_add_epi32(q2, q3)), to: SIMD8<Int32>.self)
        // The packs interleave the 128-bit lanes; the permutation puts the bytes back in order.
        let bytes = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3))
        let ordered = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
        _mm256_storeu_si256(UnsafeMutableRawPointer(quants + block * Self.blockSize).assumingMemoryBound(to: __m256i.self), ordered)
        scales[block] = d
        scaledSums[block] = d * Float((total.lowHalf &+ total.highHalf).wrappedSum())
    }

    deinit {
        quants.deallocate()
        scales.deallocate()
        scaledSums.deallocate()
    }

    /// Row `row`'s quants, block scales and scaled sums.
    func row(_ row: Int) -> ActivationRow {
        ActivationRow(quants: quants + row * blocksPerRow * Self.blockSize, scales: scales + row * blocksPerRow,
                      scaledSums: scaledSums + row * blocksPerRow)
    }
}
