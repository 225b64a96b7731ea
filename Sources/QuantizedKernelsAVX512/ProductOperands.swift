/// Activation rows quantised to 8-bit blocks of 32 (Core's `QuantizedActivations`): per
/// row `blocksPerRow · 32` quants, and per block its scale `d` and `d · Σq`.
public struct ActivationBlocks {
    public let quants: UnsafePointer<Int8>
    public let scales: UnsafePointer<Float>
    public let scaledSums: UnsafePointer<Float>
    public let rows: Int
    public let blocksPerRow: Int

    public init(quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, scaledSums: UnsafePointer<Float>,
                rows: Int, blocksPerRow: Int) {
        self.quants = quants
        self.scales = scales
        self.scaledSums = scaledSums
        self.rows = rows
        self.blocksPerRow = blocksPerRow
    }
}

/// Where a product's result goes: output `c` (from `firstColumn` on) of row `r` at
/// `pointer + r · stride + (c − firstColumn)`; with `accumulate` it is added to what is there.
public struct ProductDestination {
    public let pointer: UnsafeMutablePointer<Float>
    public let stride: Int
    public let firstColumn: Int
    public let accumulate: Bool

    public init(pointer: UnsafeMutablePointer<Float>, stride: Int, firstColumn: Int, accumulate: Bool) {
        self.pointer = pointer
        self.stride = stride
        self.firstColumn = firstColumn
        self.accumulate = accumulate
    }
}
