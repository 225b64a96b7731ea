import _Builtin_intrinsics.intel

/// The dot product of one quantised weight row with one quantised activation row
/// (`QuantizedActivations`), block by block, in AVX2 as llama.cpp's kernels do it: a
/// block's 32 weight quants and 32 activation quants are multiplied as bytes and summed
/// in pairs to 16-bit lanes in one instruction (`vpmaddubsw`, whose unsigned × signed
/// pairs cannot overflow here), those are summed in pairs to eight 32-bit lanes (exact
/// integer sums), converted and scaled by `d_w · d_x` into eight float lanes in block
/// order, and the lanes are summed once at the end. The order of every operation is
/// fixed by the row length alone, never by how many rows are multiplied together, so
/// products are batch-invariant.
///
/// `dot2` takes one weight row against two activation rows, unpacking each weight block
/// once for both (two sequences decoding together, or InRa's two streams); each of its
/// results is computed by exactly the operations `dot` would use, so it is bit-identical.
protocol BlockDotProduct {
    static func dot(_ weight: UnsafeRawPointer, _ x: ActivationRow, blocks: Int) -> Float
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float)
}

/// One row of `QuantizedActivations`: its quants, block scales and scaled sums.
struct ActivationRow {
    let quants: UnsafePointer<Int8>
    let scales: UnsafePointer<Float>
    let scaledSums: UnsafePointer<Float>

    /// The 32 quants of block `block`.
    @inline(__always)
    func block(_ block: Int) -> __m256i {
        _mm256_loadu_si256(UnsafeRawPointer(quants + block * 32).assumingMemoryBound(to: __m256i.self))
    }
}

/// The AVX2 steps the kernels share.
enum BlockLanes {
    /// Sixteen bytes of packed 4-bit quants as 32 bytes in element order: the low
    /// nibbles are elements 0...15, the high nibbles 16...31.
    @inline(__always)
    static func nibbles(_ packed: UnsafeRawPointer) -> __m256i {
        let bytes = _mm_loadu_si128(packed.assumingMemoryBound(to: __m128i.self))
        return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(bytes, 4), bytes), _mm256_set1_epi8(0x0F))
    }

    /// `Σ w·x` of unsigned `w` (at most 15: a pair sums to at most 2·15·128) and signed
    /// `x`, as eight float lanes of four products each.
    @inline(__always)
    static func unsignedProducts(_ w: __m256i, _ x: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1)))
    }

    /// `Σ w·x` of signed `w` and `x` (`x` at most 127 in magnitude, as activation quants
    /// are): `|w| · (x with w's sign)`, so the unsigned × signed product applies.
    @inline(__always)
    static func signedProducts(_ w: __m256i, _ x: __m256i) -> __m256 {
        unsignedProducts(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w))
    }

    /// `products · scale + sum`.
    @inline(__always)
    static func accumulate(_ products: __m256, scale: Float, into sum: __m256) -> __m256 {
        _mm256_fmadd_ps(products, _mm256_set1_ps(scale), sum)
    }

    /// The eight lanes summed, in a fixed order.
    @inline(__always)
    static func total(_ lanes: __m256) -> Float {
        (lanes.lowHalf + lanes.highHalf).sum()
    }

    @inline(__always)
    static func half(_ block: UnsafeRawPointer, at offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }
}

/// Q4_1 (`w = d·q + m`, q in 0...15): `Σ w·x = d_w·d_x·Σ q·q_x + m·(d_x·Σ q_x)`.
enum Q4_1BlockDot: BlockDotProduct {
    @inline(__always)
    static func dot(_ weight: UnsafeRawPointer, _ x: ActivationRow, blocks: Int) -> Float {
        var sum = _mm256_setzero_ps()
        var minimumTerm: Float = 0
        for block in 0..<blocks {
            let base = weight + block * 20
            let quants = BlockLanes.nibbles(base + 4)
            sum = BlockLanes.accumulate(BlockLanes.unsignedProducts(quants, x.block(block)),
                                        scale: BlockLanes.half(base, at: 0) * x.scales[block], into: sum)
            minimumTerm += BlockLanes.half(base, at: 2) * x.scaledSums[block]
        }
        return BlockLanes.total(sum) + minimumTerm
    }

    @inline(__always)
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float) {
        var sumA = _mm256_setzero_ps(), sumB = _mm256_setzero_ps()
        var minimumA: Float = 0, minimumB: Float = 0
        for block in 0..<blocks {
            let base = weight + block * 20
            let quants = BlockLanes.nibbles(base + 4)
            let scale = BlockLanes.half(base, at: 0), minimum = BlockLanes.half(base, at: 2)
            sumA = BlockLanes.accumulate(BlockLanes.unsignedProducts(quants, a.block(block)), scale: scale * a.scales[block], into: sumA)
            sumB = BlockLanes.accumulate(BlockLanes.unsignedProducts(quants, b.block(block)), scale: scale * b.scales[block], into: sumB)
            minimumA += minimum * a.scaledSums[block]
            minimumB += minimum * b.scaledSums[block]
        }
        return (BlockLanes.total(sumA) + minimumA, BlockLanes.total(sumB) + minimumB)
    }
}

/// Q4_0 (`w = d·(q − 8)`, q in 0...15): `Σ w·x = d_w·d_x·Σ (q − 8)·q_x`.
enum Q4_0BlockDot: BlockDotProduct {
    @inline(__always)
    static func quants(_ base: UnsafeRawPointer) -> __m256i {
        _mm256_sub_epi8(BlockLanes.nibbles(base + 2), _mm256_set1_epi8(8))
    }

    @inline(__always)
    static func dot(_ weight: UnsafeRawPointer, _ x: ActivationRow, blocks: Int) -> Float {
        var sum = _mm256_setzero_ps()
        for block in 0..<blocks {
            let base = weight + block * 18
            sum = BlockLanes.accumulate(BlockLanes.signedProducts(quants(base), x.block(block)),
                                        scale: BlockLanes.half(base, at: 0) * x.scales[block], into: sum)
        }
        return BlockLanes.total(sum)
    }

    @inline(__always)
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float) {
        var sumA = _mm256_setzero_ps(), sumB = _mm256_setzero_ps()
        for block in 0..<blocks {
            let base = weight + block * 18
            let w = quants(base), scale = BlockLanes.half(base, at: 0)
            sumA = BlockLanes.accumulate(BlockLanes.signedProducts(w, a.block(block)), scale: scale * a.scales[block], into: sumA)
            sumB = BlockLanes.accumulate(BlockLanes.signedProducts(w, b.block(block)), scale: scale * b.scales[block], into: sumB)
        }
        return (BlockLanes.total(sumA), BlockLanes.total(sumB))
    }
}

/// Q8_0 (`w = d·q`, q an Int8): `Σ w·x = d_w·d_x·Σ q·q_x`.
enum Q8_0BlockDot: BlockDotProduct {
    @inline(__always)
    static func quants(_ base: UnsafeRawPointer) -> __m256i {
        _mm256_loadu_si256((base + 2).assumingMemoryBound(to: __m256i.self))
    }

    @inline(__always)
    static func dot(_ weight: UnsafeRawPointer, _ x: ActivationRow, blocks: Int) -> Float {
        var sum = _mm256_setzero_ps()
        for block in 0..<blocks {
            let base = weight + block * 34
            sum = BlockLanes.accumulate(BlockLanes.signedProducts(quants(base), x.block(block)),
                                        scale: BlockLanes.half(base, at: 0) * x.scales[block], into: sum)
        }
        return BlockLanes.total(sum)
    }

    @inline(__always)
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float) {
        var sumA = _mm256_setzero_ps(), sumB = _mm256_setzero_ps()
        for block in 0..<blocks {
            let base = weight + block * 34
            let w = quants(base), scale = BlockLanes.half(base, at: 0)
            sumA = BlockLanes.accumulate(BlockLanes.signedProducts(w, a.block(block)), scale: scale * a.scales[block], into: sumA)
            sumB = BlockLanes.accumulate(BlockLanes.signedProducts(w, b.block(block)), scale: scale * b.scales[block], into: sumB)
        }
        return (BlockLanes.total(sumA), BlockLanes.total(sumB))
    }
}
