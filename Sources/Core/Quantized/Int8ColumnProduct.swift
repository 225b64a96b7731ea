import CCPUFeatures
import QuantizedKernelsAVX512

/// `y[rows, outputs] = x · Wᵀ` for a `ColumnPackedWeight`, in AVX-512 VNNI: the
/// activations quantised to 8-bit blocks as for `QuantizedProduct.apply` (the same
/// int8 arithmetic, summed in another order), then `ColumnPackedProduct`'s tiles of 32
/// outputs spread over the `ParallelLoop` threads. Many rows run at about twice
/// float32 sgemm's rate, where the AVX2 kernel cannot beat sgemm.
enum Int8ColumnProduct {
    /// Whether this CPU and OS run the AVX-512 VNNI kernels (checked once).
    static let isAvailable = cpu_runs_avx512_vnni_kernels() != 0
    /// The products run in whole tiles of this many outputs.
    static let outputsPerTile = ColumnPackedProduct.columnsPerTile

    /// The outputs `outputs` (whole tiles of `ColumnPackedProduct.columnsPerTile`) into
    /// `y[rows, outputs.count]`, or added to it with `accumulate`.
    static func apply(_ x: UnsafePointer<Float>, rows: Int, weight: ColumnPackedWeight, outputs: Range<Int>,
                      into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        precondition(isAvailable, "the AVX-512 VNNI kernels need a CPU with AVX512 F/BW/VL/DQ and VNNI")
        let tile = outputsPerTile
        precondition(outputs.lowerBound % tile == 0 && outputs.upperBound % tile == 0 && outputs.upperBound <= weight.outputs,
                     "outputs \(outputs) of \(weight.outputs) are not whole tiles of \(tile)")
        guard rows > 0, !outputs.isEmpty else { return }
        let activations = QuantizedActivations(x, rows: rows, cols: weight.blocksPerRow * QuantizedActivations.blockSize)
        let blocks = ActivationBlocks(quants: activations.quants, scales: activations.scales, scaledSums: activations.scaledSums,
                                      rows: rows, blocksPerRow: activations.blocksPerRow)
        let destination = ProductDestination(pointer: y, stride: outputs.count, firstColumn: outputs.lowerBound, accumulate: accumulate)
        let firstTile = outputs.lowerBound / tile
        withExtendedLifetime((weight, activations)) {
            switch weight.form {
            case .q4:
                ParallelLoop.run(count: outputs.count / tile) { task in
                    let tiles = firstTile + task..<firstTile + task + 1
                    ColumnPackedProduct.q4(weight.bytes, tiles: tiles, blocks, into: destination)
                }
            case .q8:
                let count = rows * weight.blocksPerRow * QuantizedActivations.blockSize
                let unsignedQuants = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
                defer { unsignedQuants.deallocate() }
                ColumnPackedProduct.offsetQuants(activations.quants, count: count, into: unsignedQuants)
                ParallelLoop.run(count: outputs.count / tile) { task in
                    let tiles = firstTile + task..<firstTile + task + 1
                    ColumnPackedProduct.q8(weight.bytes, tiles: tiles, blocks, unsignedQuants: unsignedQuants, into: destination)
                }
            }
        }
    }
}
