import Foundation

/// The backward pass of `ElementWise.siluGate` (`out = silu(g) · u`, `silu(z) = z·σ(z)`):
/// `du = dout · silu(g)`, `dg = dout · u · σ(g)·(1 + g·(1 − σ(g)))`.
enum SwiGLUBackward {
    /// Writes the gradients of the gate and up inputs from the pre-activation `gate`,
    /// `up` and the output gradient (`[rows, width]` each).
    static func run(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, rows: Int, width: Int,
        gateGradient: UnsafeMutablePointer<Float>, upGradient: UnsafeMutablePointer<Float>
    ) {
        ParallelLoop.run(count: rows) { row in
            let offset = row * width
            for i in offset..<offset + width {
                let z = gate[i]
                let sigmoid = 1 / (1 + exp(-z))
                let silu = z * sigmoid
                upGradient[i] = outputGradient[i] * silu
                gateGradient[i] = outputGradient[i] * up[i] * sigmoid * (1 + z * (1 - sigmoid))
            }
        }
    }
}
