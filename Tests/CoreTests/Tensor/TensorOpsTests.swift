import Foundation
import Testing
@testable import Core

@Suite("Tensor kernels against direct formulas")
struct TensorOpsTests {
    @Test("Linear: x·Wᵀ + b, and accumulation into the output")
    func linear() {
        // x [2, 3], W [2 outputs, 3 inputs].
        let x: [Float] = [1, 2, 3, -1, 0, 2]
        let weight = Matrix(rows: 2, cols: 3, values: [1, 0, -1, 2, 1, 0.5])
        var y = [Float](repeating: 0, count: 4)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Linear.apply(xp.baseAddress!, rows: 2, weight: weight, bias: [10, 20], into: yp.baseAddress!)
            }
        }
        let expected: [Float] = [8, 25.5, 7, 19]  // [1-3+10, 2+2+1.5+20, -1-2+10, -2+1+20]
        #expect(y == expected)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Linear.apply(xp.baseAddress!, rows: 2, weight: weight, into: yp.baseAddress!, accumulate: true)
            }
        }
        let accumulated: [Float] = [6, 31, 4, 18]  // the same product once more, without bias
        #expect(y == accumulated)
    }

    @Test("RMSNorm over rows of 11 values (SIMD body and scalar tail)")
    func rmsNorm() {
        let width = 11
        let x = (0..<2 * width).map { Float($0) * 0.25 - 2 }
        let weight = (0..<width).map { 1 + Float($0) * 0.1 }
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                ElementWise.rmsNorm(xp.baseAddress!, rows: 2, width: width, weight: weight, eps: 1e-5, into: yp.baseAddress!)
            }
        }
        for row in 0..<2 {
            let values = x[row * width..<(row + 1) * width].map(Double.init)
            let scale = 1 / (values.reduce(0) { $0 + $1 * $1 } / Double(width) + 1e-5).squareRoot()
            for i in 0..<width {
                let expected = Double(weight[i]) * values[i] * scale
                #expect(abs(Double(y[row * width + i]) - expected) <= 1e-6)
            }
        }
    }

    @Test("RoPE rotates the two halves of every head by p·theta^(−2i/d)")
    func rotary() {
        let headDim = 16, heads = 2, theta = 10000.0
        let rope = RotaryEmbedding(headDim: headDim, theta: theta, positions: 40)
        let positions = [0, 5, 37]
        let original = (0..<positions.count * heads * headDim).map { Float(($0 * 7) % 13) - 6 }
        var values = original
        values.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, rows: positions.count, heads: heads, positionOfRow: positions) }
        for (row, p) in positions.enumerated() {
            for head in 0..<heads {
                let base = (row * heads + head) * headDim
                for i in 0..<headDim / 2 {
                    let angle = Double(p) * pow(theta, -2 * Double(i) / Double(headDim))
                    let u = Double(original[base + i]), w = Double(original[base + i + 8])
                    #expect(abs(Double(values[base + i]) - (u * cos(angle) - w * sin(angle))) <= 1e-5)
                    #expect(abs(Double(values[base + i + 8]) - (w * cos(angle) + u * sin(angle))) <= 1e-5)
                }
            }
        }
        #expect(values[0..<heads * headDim] == original[0..<heads * headDim])
    }

    @Test("SiLU gate and softmax")
    func siluAndSoftmax() {
        var gate: [Float] = [-3, -0.5, 0, 0.5, 2, 9, -20, 1, 4]
        let up: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, -1]
        let expected = zip(gate, up).map { z, u in Double(z) / (1 + exp(-Double(z))) * Double(u) }
        gate.withUnsafeMutableBufferPointer { g in
            up.withUnsafeBufferPointer { ElementWise.siluGate(g.baseAddress!, up: $0.baseAddress!, rows: 1, width: 9) }
        }
        for (value, want) in zip(gate, expected) { #expect(abs(Double(value) - want) <= 1e-5) }

        var scores: [Float] = [1000, 999, 998, -1000]
        scores.withUnsafeMutableBufferPointer { ElementWise.softmax($0.baseAddress!, count: 4) }
        let total = exp(0.0) + exp(-1.0) + exp(-2.0)
        #expect(abs(Double(scores[0]) - 1 / total) <= 1e-6)
        #expect(abs(Double(scores[1]) - exp(-1) / total) <= 1e-6)
        #expect(abs(Double(scores[2]) - exp(-2) / total) <= 1e-6)
        #expect(scores[3] == 0)
    }

    @Test("ParallelLoop visits every index exactly once")
    func parallelLoop() {
        var visits = [Int](repeating: 0, count: 1001)
        visits.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            ParallelLoop.run(count: 1001) { base[$0] += 1 }
        }
        #expect(visits.allSatisfy { $0 == 1 })
    }
}
