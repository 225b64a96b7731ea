import COpenBLAS

/// `y[rows, out] = x[rows, in] · Wᵀ` for a quantised `W` (`[out, in]`).
enum QuantizedProduct {
    /// Output rows one parallel task computes: enough work to amortise a task, few
    /// enough that the tasks spread over the threads.
    static let outputsPerTask = 32

    /// The SIMD kernel: the activations are quantised to 8-bit blocks, then every
    /// output element is one `BlockDotProduct` of a weight row and an activation row (two
    /// activation rows at a time share each weight block's unpacking), so row `r` of the
    /// result does not depend on the other rows (batch-invariant).
    /// Tasks of `outputsPerTask` weight rows run on the `ParallelLoop` threads. With
    /// `accumulate` the product is added to what `y` holds.
    static func apply(_ x: UnsafePointer<Float>, rows: Int, weight: QuantizedMatrix,
                      into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard rows > 0 else { return }
        let activations = QuantizedActivations(x, rows: rows, cols: weight.cols)
        switch weight.type {
        case .q4_0: run(Q4_0BlockDot.self, activations, weight, y, accumulate)
        case .q4_1: run(Q4_1BlockDot.self, activations, weight, y, accumulate)
        default: run(Q8_0BlockDot.self, activations, weight, y, accumulate)
        }
    }

    private static func run<Kernel: BlockDotProduct>(
        _ kernel: Kernel.Type, _ activations: QuantizedActivations, _ weight: QuantizedMatrix,
        _ y: UnsafeMutablePointer<Float>, _ accumulate: Bool
    ) {
        let outputs = weight.rows
        let blocks = weight.blocksPerRow
        let rows = activations.rows
        withExtendedLifetime(weight) {
            ParallelLoop.run(count: (outputs + outputsPerTask - 1) / outputsPerTask) { task in
                let first = task * outputsPerTask
                for output in first..<min(outputs, first + outputsPerTask) {
                    let weightRow = weight.blocks(ofRow: output)
                    func store(_ value: Float, row: Int) {
                        let target = y + row * outputs + output
                        target.pointee = accumulate ? target.pointee + value : value
                    }
                    var row = 0
                    while row + 1 < rows {
                        let (a, b) = Kernel.dot2(weightRow, activations.row(row), activations.row(row + 1), blocks: blocks)
                        store(a, row: row)
                        store(b, row: row + 1)
                        row += 2
                    }
                    if row < rows {
                        store(Kernel.dot(weightRow, activations.row(row), blocks: blocks), row: row)
                    }
                }
            }
        }
    }

    /// Weight rows dequantised per block of `dequantizedRows` rows into a scratch
    /// buffer and multiplied by `cblas_sgemm`: the exact float32 weights, at sgemm
    /// speed for many rows, without holding the whole float32 matrix. Like any sgemm,
    /// a row's bits may depend on `rows`.
    static func applyDequantizing(_ x: UnsafePointer<Float>, rows: Int, weight: QuantizedMatrix,
                                  into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard rows > 0 else { return }
        let cols = weight.cols
        let chunk = min(weight.rows, dequantizedRows)
        let scratch = ScratchBuffer(count: chunk * cols)
        var first = 0
        while first < weight.rows {
            let count = min(chunk, weight.rows - first)
            ParallelLoop.run(count: count) { i in weight.decodeRow(first + i, into: scratch.pointer + i * cols) }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(rows), Int32(count), Int32(cols),
                1, x, Int32(cols), scratch.pointer, Int32(cols),
                accumulate ? 1 : 0, y + first, Int32(weight.rows))
            first += count
        }
    }

    /// Rows per dequantised block of `applyDequantizing`: enough that OpenBLAS does not
    /// take a block's product for a small one (its small-product kernels sum in another
    /// order, so a row's bits would depend on how many rows are multiplied).
    static let dequantizedRows = 512
}
