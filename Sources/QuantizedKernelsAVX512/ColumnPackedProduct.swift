import _Builtin_intrinsics.intel

/// `y = x · Wᵀ` with `W` in `ColumnPackedLayout` and `x` as `ActivationBlocks`, in
/// AVX-512 VNNI. A tile is `rowsPerTile` activation rows by two column groups (32
/// outputs): per block, 8 `vpdpbusd` per row and group accumulate exact Int32 block
/// dots, one conversion and one multiply-add with `d_w · d_x` scale them (Q4_1 adds
/// its minimum term `m_w · d_x·Σq_x` with one more), so a row costs ~11 vector
/// operations per 512 multiply-adds where float32 needs 32 FMAs.
///
/// Every output's operations are fixed by the row length alone (its block dots in
/// order, one float accumulator), never by the other rows: the products are
/// batch-invariant. Callers run only on CPUs with AVX512 F/BW/VL/DQ and VNNI.
public enum ColumnPackedProduct {
    public static let rowsPerTile = 4
    /// Output columns of a tile: two groups.
    public static let columnsPerTile = 2 * ColumnPackedLayout.columnsPerGroup

    /// Tiles `tiles` (of `columnsPerTile` outputs) of a packed Q4 weight.
    @inline(never)
    public static func q4(_ packed: UnsafeRawPointer, tiles: Range<Int>, _ x: ActivationBlocks, into y: ProductDestination) {
        let groupBytes = x.blocksPerRow * ColumnPackedLayout.q4GroupBlockBytes
        for tile in tiles {
            let group = packed + 2 * tile * groupBytes
            var row = 0
            while row < x.rows {
                q4Tile(group, group + groupBytes, x, firstRow: row, y, column: tile * columnsPerTile)
                row += rowsPerTile
            }
        }
    }

    /// Tiles `tiles` of a packed Q8_0 weight. `unsignedQuants` are `x`'s quants plus 128
    /// (`ColumnPackedProduct.offsetQuants`), the unsigned operand of `vpdpbusd`.
    @inline(never)
    public static func q8(_ packed: UnsafeRawPointer, tiles: Range<Int>, _ x: ActivationBlocks,
                          unsignedQuants: UnsafePointer<UInt8>, into y: ProductDestination) {
        let groupBytes = x.blocksPerRow * ColumnPackedLayout.q8GroupBlockBytes
        for tile in tiles {
            let group = packed + 2 * tile * groupBytes
            var row = 0
            while row < x.rows {
                q8Tile(group, group + groupBytes, x, unsignedQuants, firstRow: row, y, column: tile * columnsPerTile)
                row += rowsPerTile
            }
        }
    }

    /// `quants + 128` as bytes (flipping the sign bit), for `q8`.
    public static func offsetQuants(_ quants: UnsafePointer<Int8>, count: Int, into target: UnsafeMutablePointer<UInt8>) {
        let signBits = _mm512_set1_epi8(-128)
        var index = 0
        while index + 64 <= count {
            _mm512_storeu_si512(target + index, _mm512_xor_si512(_mm512_loadu_si512(quants + index), signBits))
            index += 64
        }
        while index < count {
            target[index] = UInt8(bitPattern: quants[index]) ^ 0x80
            index += 1
        }
    }

    /// The activation rows of a tile; rows past the last repeat it (computed, not stored).
    @inline(__always)
    private static func tileRows(_ x: ActivationBlocks, firstRow: Int) -> InlineArray<4, Int> {
        InlineArray { min(firstRow + $0, x.rows - 1) }
    }

    @inline(__always)
    private static func broadcast(_ quants: UnsafeRawPointer, _ offset: Int) -> __m512i {
        _mm512_set1_epi32(quants.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    @inline(__always)
    private static func halves(_ pointer: UnsafeRawPointer) -> __m512 {
        _mm512_cvtph_ps(_mm256_loadu_si256(pointer.assumingMemoryBound(to: __m256i.self)))
    }

    @inline(__always)
    private static func q4Tile(_ group0: UnsafeRawPointer, _ group1: UnsafeRawPointer, _ x: ActivationBlocks,
                               firstRow: Int, _ y: ProductDestination, column: Int) {
        let rows = tileRows(x, firstRow: firstRow)
        let blocks = x.blocksPerRow
        let lowNibbles = _mm512_set1_epi8(0x0F)
        var sum0 = InlineArray<4, __m512>(repeating: _mm512_setzero_ps())
        var sum1 = InlineArray<4, __m512>(repeating: _mm512_setzero_ps())
        for block in 0..<blocks {
            let w0 = group0 + block * ColumnPackedLayout.q4GroupBlockBytes
            let w1 = group1 + block * ColumnPackedLayout.q4GroupBlockBytes
            var dot0 = InlineArray<4, __m512i>(repeating: _mm512_setzero_si512())
            var dot1 = InlineArray<4, __m512i>(repeating: _mm512_setzero_si512())
            for vector in 0..<4 {
                let packed0 = _mm512_loadu_si512(w0 + vector * 64), packed1 = _mm512_loadu_si512(w1 + vector * 64)
                let low0 = _mm512_and_si512(packed0, lowNibbles), high0 = _mm512_and_si512(_mm512_srli_epi16(packed0, 4), lowNibbles)
                let low1 = _mm512_and_si512(packed1, lowNibbles), high1 = _mm512_and_si512(_mm512_srli_epi16(packed1, 4), lowNibbles)
                for r in 0..<4 {
                    let quants = UnsafeRawPointer(x.quants + (rows[r] * blocks + block) * 32)
                    let low = broadcast(quants, vector * 4), high = broadcast(quants, 16 + vector * 4)
                    dot0[r] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(dot0[r], low0, low), high0, high)
                    dot1[r] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(dot1[r], low1, low), high1, high)
                }
            }
            let d0 = halves(w0 + 256), m0 = halves(w0 + 288), d1 = halves(w1 + 256), m1 = halves(w1 + 288)
            for r in 0..<4 {
                let scale = _mm512_set1_ps(x.scales[rows[r] * blocks + block])
                let scaledSum = _mm512_set1_ps(x.scaledSums[rows[r] * blocks + block])
                sum0[r] = _mm512_fmadd_ps(m0, scaledSum, _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot0[r]), _mm512_mul_ps(d0, scale), sum0[r]))
                sum1[r] = _mm512_fmadd_ps(m1, scaledSum, _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot1[r]), _mm512_mul_ps(d1, scale), sum1[r]))
            }
        }
        store(sum0, sum1, firstRow: firstRow, rowCount: x.rows, y, column: column)
    }

    @inline(__always)
    private static func q8Tile(_ group0: UnsafeRawPointer, _ group1: UnsafeRawPointer, _ x: ActivationBlocks,
                               _ unsignedQuants: UnsafePointer<UInt8>, firstRow: Int, _ y: ProductDestination, column: Int) {
        let rows = tileRows(x, firstRow: firstRow)
        let blocks = x.blocksPerRow
        var sum0 = InlineArray<4, __m512>(repeating: _mm512_setzero_ps())
        var sum1 = InlineArray<4, __m512>(repeating: _mm512_setzero_ps())
        for block in 0..<blocks {
            let w0 = group0 + block * ColumnPackedLayout.q8GroupBlockBytes
            let w1 = group1 + block * ColumnPackedLayout.q8GroupBlockBytes
            // Starting from −128·Σq_w removes the offset the unsigned activations carry.
            let offset0 = _mm512_loadu_si512(w0 + 512), offset1 = _mm512_loadu_si512(w1 + 512)
            var dot0 = InlineArray<4, __m512i>(repeating: offset0)
            var dot1 = InlineArray<4, __m512i>(repeating: offset1)
            for vector in 0..<8 {
                let weights0 = _mm512_loadu_si512(w0 + vector * 64), weights1 = _mm512_loadu_si512(w1 + vector * 64)
                for r in 0..<4 {
                    let activations = broadcast(unsignedQuants + (rows[r] * blocks + block) * 32, vector * 4)
                    dot0[r] = _mm512_dpbusd_epi32(dot0[r], activations, weights0)
                    dot1[r] = _mm512_dpbusd_epi32(dot1[r], activations, weights1)
                }
            }
            let d0 = halves(w0 + 576), d1 = halves(w1 + 576)
            for r in 0..<4 {
                let scale = _mm512_set1_ps(x.scales[rows[r] * blocks + block])
                sum0[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot0[r]), _mm512_mul_ps(d0, scale), sum0[r])
                sum1[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot1[r]), _mm512_mul_ps(d1, scale), sum1[r])
            }
        }
        store(sum0, sum1, firstRow: firstRow, rowCount: x.rows, y, column: column)
    }

    @inline(__always)
    private static func store(_ sum0: InlineArray<4, __m512>, _ sum1: InlineArray<4, __m512>, firstRow: Int, rowCount: Int,
                              _ y: ProductDestination, column: Int) {
        for r in 0..<min(rowsPerTile, rowCount - firstRow) {
            let target = y.pointer + (firstRow + r) * y.stride + column - y.firstColumn
            if y.accumulate {
                _mm512_storeu_ps(target, _mm512_add_ps(_mm512_loadu_ps(target), sum0[r]))
                _mm512_storeu_ps(target + 16, _mm512_add_ps(_mm512_loadu_ps(target + 16), sum1[r]))
            } else {
                _mm512_storeu_ps(target, sum0[r])
                _mm512_storeu_ps(target + 16, sum1[r])
            }
        }
    }
}
