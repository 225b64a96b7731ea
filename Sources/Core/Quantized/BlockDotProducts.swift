/// The dot product of one quantised weight row with one quantised activation row
/// (`QuantizedActivations`), block by block: each block's integer products are summed
/// exactly (Int16 lanes widened to Int32), scaled by `d_w · d_x` into eight float lanes
/// in block order, and the lanes are summed once at the end. The order of every
/// operation is fixed by the row length alone, never by how many rows are multiplied
/// together, so products are batch-invariant.
///
/// `dot2` takes one weight row against two activation rows, unpacking each weight block
/// once for both (two sequences decoding together, or InRa's two streams); each of its
/// results is computed by exactly the operations `dot` would use, so it is bit-identical.
protocol BlockDotProduct {
    static func dot(_ weight: UnsafeRawPointer, _ quants: UnsafePointer<Int8>, _ scales: UnsafePointer<Float>,
                    _ scaledSums: UnsafePointer<Float>, blocks: Int) -> Float
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float)
}

/// One row of `QuantizedActivations`: its quants, block scales and scaled sums.
struct ActivationRow {
    let quants: UnsafePointer<Int8>
    let scales: UnsafePointer<Float>
    let scaledSums: UnsafePointer<Float>
}

extension BlockDotProduct {
    /// Activation quants of block `block` as two 16-lane Int16 vectors.
    @inline(__always)
    static func activationHalves(_ quants: UnsafePointer<Int8>, block: Int) -> (SIMD16<Int16>, SIMD16<Int16>) {
        let x = UnsafeRawPointer(quants + block * 32)
        return (SIMD16<Int16>(truncatingIfNeeded: x.loadUnaligned(as: SIMD16<Int8>.self)),
                SIMD16<Int16>(truncatingIfNeeded: x.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self)))
    }

    /// Sixteen Int16 lanes folded into eight Int32 lanes, as floats.
    @inline(__always)
    static func lanes(_ products: SIMD16<Int16>) -> SIMD8<Float> {
        let wide = SIMD16<Int32>(truncatingIfNeeded: products)
        return SIMD8<Float>(wide.lowHalf &+ wide.highHalf)
    }

    @inline(__always)
    static func half(_ block: UnsafeRawPointer, at offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }
}

/// Q4_1 (`w = d·q + m`, q in 0...15): `Σ w·x = d_w·d_x·Σ q·q_x + m·(d_x·Σ q_x)`.
enum Q4_1BlockDot: BlockDotProduct {
    @inline(__always)
    static func dot(_ weight: UnsafeRawPointer, _ quants: UnsafePointer<Int8>, _ scales: UnsafePointer<Float>,
                    _ scaledSums: UnsafePointer<Float>, blocks: Int) -> Float {
        var sum = SIMD8<Float>.zero
        var minimumTerm: Float = 0
        for block in 0..<blocks {
            let base = weight + block * 20
            let packed = base.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let low = SIMD16<Int16>(truncatingIfNeeded: packed & 0x0F)
            let high = SIMD16<Int16>(truncatingIfNeeded: packed &>> 4)
            let (xLow, xHigh) = activationHalves(quants, block: block)
            // |q·q_x| ≤ 15·127, two of them fit Int16.
            sum += lanes(low &* xLow &+ high &* xHigh) * (half(base, at: 0) * scales[block])
            minimumTerm += half(base, at: 2) * scaledSums[block]
        }
        return sum.sum() + minimumTerm
    }

    @inline(__always)
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float) {
        var sumA = SIMD8<Float>.zero, sumB = SIMD8<Float>.zero
        var minimumA: Float = 0, minimumB: Float = 0
        for block in 0..<blocks {
            let base = weight + block * 20
            let packed = base.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let low = SIMD16<Int16>(truncatingIfNeeded: packed & 0x0F)
            let high = SIMD16<Int16>(truncatingIfNeeded: packed &>> 4)
            let scale = half(base, at: 0), minimum = half(base, at: 2)
            let (aLow, aHigh) = activationHalves(a.quants, block: block)
            let (bLow, bHigh) = activationHalves(b.quants, block: block)
            sumA += lanes(low &* aLow &+ high &* aHigh) * (scale * a.scales[block])
            sumB += lanes(low &* bLow &+ high &* bHigh) * (scale * b.scales[block])
            minimumA += minimum * a.scaledSums[block]
            minimumB += minimum * b.scaledSums[block]
        }
        return (sumA.sum() + minimumA, sumB.sum() + minimumB)
    }
}

/// Q4_0 (`w = d·(q − 8)`, q in 0...15): `Σ w·x = d_w·d_x·Σ (q − 8)·q_x`.
enum Q4_0BlockDot: BlockDotProduct {
    @inline(__always)
    static func dot(_ weight: UnsafeRawPointer, _ quants: UnsafePointer<Int8>, _ scales: UnsafePointer<Float>,
                    _ scaledSums: UnsafePointer<Float>, blocks: Int) -> Float {
        var sum = SIMD8<Float>.zero
        for block in 0..<blocks {
            let base = weight + block * 18
            let packed = base.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
            let low = SIMD16<Int16>(truncatingIfNeeded: packed & 0x0F) &- 8
            let high = SIMD16<Int16>(truncatingIfNeeded: packed &>> 4) &- 8
            let (xLow, xHigh) = activationHalves(quants, block: block)
            // |(q − 8)·q_x| ≤ 8·127, two of them fit Int16.
            sum += lanes(low &* xLow &+ high &* xHigh) * (half(base, at: 0) * scales[block])
        }
        return sum.sum()
    }
    @inline(__always)
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float) {
        var sumA = SIMD8<Float>.zero, sumB = SIMD8<Float>.zero
        for block in 0..<blocks {
            let base = weight + block * 18
            let packed = base.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
            let low = SIMD16<Int16>(truncatingIfNeeded: packed & 0x0F) &- 8
            let high = SIMD16<Int16>(truncatingIfNeeded: packed &>> 4) &- 8
            let scale = half(base, at: 0)
            let (aLow, aHigh) = activationHalves(a.quants, block: block)
            let (bLow, bHigh) = activationHalves(b.quants, block: block)
            sumA += lanes(low &* aLow &+ high &* aHigh) * (scale * a.scales[block])
            sumB += lanes(low &* bLow &+ high &* bHigh) * (scale * b.scales[block])
        }
        return (sumA.sum(), sumB.sum())
    }
}

/// Q8_0 (`w = d·q`, q an Int8): `Σ w·x = d_w·d_x·Σ q·q_x`.
enum Q8_0BlockDot: BlockDotProduct {
    @inline(__always)
    static func dot(_ weight: UnsafeRawPointer, _ quants: UnsafePointer<Int8>, _ scales: UnsafePointer<Float>,
                    _ scaledSums: UnsafePointer<Float>, blocks: Int) -> Float {
        var sum = SIMD8<Float>.zero
        for block in 0..<blocks {
            let base = weight + block * 34
            let low = SIMD16<Int16>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let high = SIMD16<Int16>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let (xLow, xHigh) = activationHalves(quants, block: block)
            // |q·q_x| ≤ 128·127 fits Int16 but a sum of two does not: widen first.
            let lowWide = SIMD16<Int32>(truncatingIfNeeded: low &* xLow)
            let highWide = SIMD16<Int32>(truncatingIfNeeded: high &* xHigh)
            let wide = lowWide &+ highWide
            sum += SIMD8<Float>(wide.lowHalf &+ wide.highHalf) * (half(base, at: 0) * scales[block])
        }
        return sum.sum()
    }
    @inline(__always)
    static func dot2(_ weight: UnsafeRawPointer, _ a: ActivationRow, _ b: ActivationRow, blocks: Int) -> (Float, Float) {
        var sumA = SIMD8<Float>.zero, sumB = SIMD8<Float>.zero
        for block in 0..<blocks {
            let base = weight + block * 34
            let low = SIMD16<Int16>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let high = SIMD16<Int16>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let scale = half(base, at: 0)
            let (aLow, aHigh) = activationHalves(a.quants, block: block)
            let (bLow, bHigh) = activationHalves(b.quants, block: block)
            let wideA = SIMD16<Int32>(truncatingIfNeeded: low &* aLow) &+ SIMD16<Int32>(truncatingIfNeeded: high &* aHigh)
            let wideB = SIMD16<Int32>(truncatingIfNeeded: low &* bLow) &+ SIMD16<Int32>(truncatingIfNeeded: high &* bHigh)
            sumA += SIMD8<Float>(wideA.lowHalf &+ wideA.highHalf) * (scale * a.scales[block])
            sumB += SIMD8<Float>(wideB.lowHalf &+ wideB.highHalf) * (scale * b.scales[block])
        }
        return (sumA.sum(), sumB.sum())
    }
}
