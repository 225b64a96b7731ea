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
        let source = UnsafeRawPointer(x)
        for block in 0..<blocks {
            let low = source.loadUnaligned(fromByteOffset: block * 128, as: SIMD16<Float>.self)
            let high = source.loadUnaligned(fromByteOffset: block * 128 + 64, as: SIMD16<Float>.self)
            let largest = max(max(low.max(), high.max()), -min(low.min(), high.min()))
            let d = largest / 127
            let inverse: Float = d == 0 ? 0 : 1 / d
            let lowQuants = SIMD16<Int32>((low * inverse).rounded(.toNearestOrAwayFromZero))
            let highQuants = SIMD16<Int32>((high * inverse).rounded(.toNearestOrAwayFromZero))
            let destination = UnsafeMutableRawPointer(quants + block * Self.blockSize)
            destination.storeBytes(of: SIMD16<Int8>(truncatingIfNeeded: lowQuants), as: SIMD16<Int8>.self)
            destination.storeBytes(of: SIMD16<Int8>(truncatingIfNeeded: highQuants), toByteOffset: 16, as: SIMD16<Int8>.self)
            scales[block] = d
            scaledSums[block] = d * Float((lowQuants &+ highQuants).wrappedSum())
        }
    }

    deinit {
        quants.deallocate()
        scales.deallocate()
        scaledSums.deallocate()
    }

    /// The quants of row `row`'s first block.
    func quants(ofRow row: Int) -> UnsafePointer<Int8> { UnsafePointer(quants + row * blocksPerRow * Self.blockSize) }
    func scales(ofRow row: Int) -> UnsafePointer<Float> { UnsafePointer(scales + row * blocksPerRow) }
    func scaledSums(ofRow row: Int) -> UnsafePointer<Float> { UnsafePointer(scaledSums + row * blocksPerRow) }
    func row(_ row: Int) -> ActivationRow {
        ActivationRow(quants: quants(ofRow: row), scales: scales(ofRow: row), scaledSums: scaledSums(ofRow: row))
    }
}
