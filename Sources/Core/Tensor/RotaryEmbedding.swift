import Foundation

/// Rotary position embedding in the Hugging Face "default" half-split form
/// (`rotate_half`): for pair `i < d/2` of a head vector `u` at position `p`,
/// `u'[i] = u[i]·cos θ − u[i+d/2]·sin θ`, `u'[i+d/2] = u[i+d/2]·cos θ + u[i]·sin θ`,
/// `θ = p · theta^(−2i/d)`. Angles are rounded as Hugging Face rounds them (float32
/// inverse frequencies times a float32 position), cos and sin tabulated once.
struct RotaryEmbedding: Sendable {
    let headDim: Int
    let positions: Int
    /// `cos[p · headDim/2 + i]`, likewise `sin`.
    private let cos: [Float]
    private let sin: [Float]

    init(headDim: Int, theta: Double, positions: Int) {
        precondition(headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        let half = headDim / 2
        let base = Float(theta)
        let inverseFrequencies = (0..<half).map { i in 1 / powf(base, Float(2 * i) / Float(headDim)) }
        var cos = [Float](repeating: 0, count: positions * half)
        var sin = [Float](repeating: 0, count: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Double(Float(p) * inverseFrequencies[i])
                cos[p * half + i] = Float(Foundation.cos(angle))
                sin[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        self.headDim = headDim
        self.positions = positions
        self.cos = cos
        self.sin = sin
    }

    /// Rotates every head of every row in place. `values` is `[rows, heads·headDim]`
    /// row-major; row `r` sits at position `positionOfRow[r]`. With `inverse` the
    /// rotation goes by `−θ`: the transpose of the forward rotation, which is what the
    /// backward pass applies to the gradients of rotated queries and keys.
    func apply(_ values: UnsafeMutablePointer<Float>, rows: Int, heads: Int, positionOfRow: [Int], inverse: Bool = false) {
        let direction: Float = inverse ? -1 : 1
        let half = headDim / 2
        let width = heads * headDim
        cos.withUnsafeBufferPointer { cosBuffer in
            sin.withUnsafeBufferPointer { sinBuffer in
                for row in 0..<rows {
                    let position = positionOfRow[row]
                    precondition(position < positions, "position \(position) beyond the RoPE table of \(positions)")
                    let c = cosBuffer.baseAddress! + position * half
                    let s = sinBuffer.baseAddress! + position * half
                    for head in 0..<heads {
                        let u = values + row * width + head * headDim
                        for i in 0..<half {
                            let first = u[i]
                            let second = u[i + half]
                            let sine = direction * s[i]
                            u[i] = first * c[i] - second * sine
                            u[i + half] = second * c[i] + first * sine
                        }
                    }
                }
            }
        }
    }
}
