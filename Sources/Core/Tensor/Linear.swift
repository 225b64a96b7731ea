import COpenBLAS

/// Linear layers: `y = x · Wᵀ (+ b)` with `W` in the Hugging Face orientation
/// `[out, in]`, row-major throughout. Float32 weights go through OpenBLAS. Quantised
/// weights go through the SIMD kernel of `QuantizedProduct` where the product must be
/// batch-invariant (decode steps); the other products (teacher forcing, the output head
/// over many rows) take the fastest route the CPU has:
/// - with AVX-512 VNNI, `Int8ColumnProduct` on the column-packed weight, at about
///   twice float32 sgemm's rate (the margin over PyTorch that sgemm cannot give). Its
///   8-bit activations are the decode kernel's, so teacher forcing on quantised weights
///   no longer computes the exact path's values: it differs by the activation
///   quantisation (SmolLM2QuantizedTests bounds it on real sequences);
/// - otherwise sgemm on blocks of dequantised rows: the exact weight values, so teacher
///   forcing on quantised weights computes what the exact path does.
enum Linear {
    /// `y = x · Wᵀ (+ b)` for either kind of weight. `batchInvariant` demands that row
    /// `r` of `y` be bit-identical whatever the other rows are (decoding, where a
    /// sequence must generate the same tokens alone or in a batch): quantised weights
    /// then use the kernel. Float32 weights always use sgemm.
    static func apply(
        _ x: UnsafePointer<Float>, rows: Int, weight: LinearWeight, bias: [Float]? = nil,
        into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, batchInvariant: Bool = false
    ) {
        switch weight {
        case .dense(let matrix):
            apply(x, rows: rows, weight: matrix, bias: bias, into: y, accumulate: accumulate)
        case .quantized(let matrix):
            if batchInvariant {
                QuantizedProduct.apply(x, rows: rows, weight: matrix, into: y, accumulate: accumulate)
            } else if let packed = matrix.columnPacked {
                Int8ColumnProduct.apply(x, rows: rows, weight: packed, outputs: 0..<matrix.rows, into: y, accumulate: accumulate)
            } else {
                QuantizedProduct.applyDequantizing(x, rows: rows, weight: matrix, into: y, accumulate: accumulate)
            }
            if let bias { addBias(bias, rows: rows, outputs: matrix.rows, into: y) }
        }
    }

    /// `y[rows, outputs.count] = x · W[outputs]ᵀ`: the outputs `outputs` of the weight
    /// alone (a block of the output head's vocabulary). Float32 weights through sgemm;
    /// quantised ones as the products of many rows above: VNNI where the CPU has it and
    /// `outputs` are whole tiles of it, else their rows dequantised for sgemm.
    static func apply(
        _ x: UnsafePointer<Float>, rows: Int, weight: LinearWeight, outputs: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        precondition(outputs.lowerBound >= 0 && outputs.upperBound <= weight.rows, "outputs \(outputs) of \(weight.rows)")
        guard rows > 0, !outputs.isEmpty else { return }
        let cols = weight.cols
        func product(_ w: UnsafePointer<Float>) {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(rows), Int32(outputs.count), Int32(cols),
                1, x, Int32(cols), w, Int32(cols),
                0, y, Int32(outputs.count))
        }
        switch weight {
        case .dense(let matrix):
            matrix.values.withUnsafeBufferPointer { product($0.baseAddress! + outputs.lowerBound * cols) }
        case .quantized(let matrix):
            let tile = Int8ColumnProduct.outputsPerTile
            if outputs.lowerBound % tile == 0, outputs.upperBound % tile == 0, let packed = matrix.columnPacked {
                Int8ColumnProduct.apply(x, rows: rows, weight: packed, outputs: outputs, into: y, accumulate: false)
                return
            }
            let scratch = ScratchBuffer(count: outputs.count * cols)
            ParallelLoop.run(count: outputs.count) { i in matrix.decodeRow(outputs.lowerBound + i, into: scratch.pointer + i * cols) }
            product(scratch.pointer)
        }
    }

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
        if let bias { addBias(bias, rows: rows, outputs: weight.rows, into: y) }
    }

    private static func addBias(_ bias: [Float], rows: Int, outputs: Int, into y: UnsafeMutablePointer<Float>) {
        precondition(bias.count == outputs, "bias has \(bias.count) values for \(outputs) outputs")
        bias.withUnsafeBufferPointer { b in
            for row in 0..<rows {
                ElementWise.add(b.baseAddress!, into: y + row * outputs, count: outputs)
            }
        }
    }
}
