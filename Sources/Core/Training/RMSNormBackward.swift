import Foundation

/// The backward pass of `ElementWise.rmsNorm`. With `r = 1 / sqrt(mean(x²) + eps)`,
/// `x̂ = x·r` and `y = w ⊙ x̂`: `dw += Σ_rows dy ⊙ x̂` and
/// `dx += r · (w ⊙ dy − x̂ · mean(w ⊙ dy ⊙ x̂))`. The inverse RMS is recomputed from `x`
/// (cheaper to redo than to keep).
enum RMSNormBackward {
    /// Adds the input gradient to `dx` (the residual stream's gradient, which already
    /// holds the skip connection's share) and, when `weightGradient` is given, adds the
    /// weight gradient to it.
    static func run(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int, width: Int, weight: [Float], eps: Float,
        accumulatingInto dx: UnsafeMutablePointer<Float>, weightGradient: inout [Float]?
    ) {
        precondition(weight.count == width, "norm weight has \(weight.count) values for width \(width)")
        let inverses = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1))
        defer { inverses.deallocate() }
        weight.withUnsafeBufferPointer { weightBuffer in
            let w = weightBuffer.baseAddress!
            ParallelLoop.run(count: rows) { row in
                let input = x + row * width
                let gradient = dy + row * width
                let output = dx + row * width
                var sum: Float = 0
                for i in 0..<width { sum += input[i] * input[i] }
                let inverse = 1 / (sum / Float(width) + eps).squareRoot()
                inverses[row] = inverse
                var projection: Float = 0
                for i in 0..<width { projection += w[i] * gradient[i] * (input[i] * inverse) }
                let mean = projection / Float(width)
                for i in 0..<width {
                    output[i] += inverse * (w[i] * gradient[i] - input[i] * inverse * mean)
                }
            }
        }
        guard weightGradient != nil else { return }
        precondition(weightGradient!.count == width, "norm weight gradient has \(weightGradient!.count) values for width \(width)")
        weightGradient!.withUnsafeMutableBufferPointer { g in
            for row in 0..<rows {
                let input = x + row * width
                let gradient = dy + row * width
                let inverse = inverses[row]
                for i in 0..<width { g[i] += gradient[i] * (input[i] * inverse) }
            }
        }
    }
}
