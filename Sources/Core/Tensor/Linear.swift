import COpenBLAS

/// Linear layers through OpenBLAS: `y = x · Wᵀ (+ b)` with `W` in the Hugging Face
/// orientation `[out, in]`, row-major throughout.
enum Linear {
    /// `y[rows, out] = x[rows, in] · weight[out, in]ᵀ`, plus `bias` when given. With
    /// `accumulate` the product is added to what `y` holds (a residual connection in
    /// the same pass over `y`).
    static func apply(
        _ x: UnsafePointer<Float>, rows: Int, weight: Matrix, bias: [Float]? = nil,
        into y: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        guard rows > 0 else { return }
        weight.values.withUnsafeBufferPointer { w in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(rows), Int32(weight.rows), Int32(weight.cols),
                1, x, Int32(weight.cols), w.baseAddress, Int32(weight.cols),
                accumulate ? 1 : 0, y, Int32(weight.rows))
        }
        if let bias {
            precondition(bias.count == weight.rows, "bias has \(bias.count) values for \(weight.rows) outputs")
            bias.withUnsafeBufferPointer { b in
                for row in 0..<rows {
                    ElementWise.add(b.baseAddress!, into: y + row * weight.rows, count: weight.rows)
                }
            }
        }
    }
}
