import COpenBLAS

/// The backward pass of `Linear.apply` (`y = x · Wᵀ + b`, `W` `[out, in]`) through
/// OpenBLAS: `dx = dy · W`, `dW += dyᵀ · x`, `db += Σ_rows dy`.
enum LinearBackward {
    /// `dx[rows, in] (+)= dy[rows, out] · weight[out, in]`; with `accumulate` the
    /// product is added to `dx` (several projections read the same input).
    static func inputGradient(
        _ dy: UnsafePointer<Float>, rows: Int, weight: Matrix, into dx: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        guard rows > 0 else { return }
        weight.values.withUnsafeBufferPointer { w in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans,
                Int32(rows), Int32(weight.cols), Int32(weight.rows),
                1, dy, Int32(weight.rows), w.baseAddress, Int32(weight.cols),
                accumulate ? 1 : 0, dx, Int32(weight.cols))
        }
    }

    /// `weightGradient[out, in] += dy[rows, out]ᵀ · x[rows, in]`.
    static func accumulateWeightGradient(
        _ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, into weightGradient: inout Matrix
    ) {
        guard rows > 0 else { return }
        let outputs = weightGradient.rows
        let inputs = weightGradient.cols
        weightGradient.values.withUnsafeMutableBufferPointer { g in
            cblas_sgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans,
                Int32(outputs), Int32(inputs), Int32(rows),
                1, dy, Int32(outputs), x, Int32(inputs),
                1, g.baseAddress, Int32(inputs))
        }
    }

    /// `biasGradient[out] += Σ_rows dy[row, out]`.
    static func accumulateBiasGradient(_ dy: UnsafePointer<Float>, rows: Int, into biasGradient: inout [Float]) {
        let outputs = biasGradient.count
        biasGradient.withUnsafeMutableBufferPointer { b in
            for row in 0..<rows {
                ElementWise.add(dy + row * outputs, into: b.baseAddress!, count: outputs)
            }
        }
    }
}
