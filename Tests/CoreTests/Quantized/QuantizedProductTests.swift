import Testing
@testable import Core

/// Random weights in ggml block layout, a fixed-seed generator for reproducibility.
struct RandomBlocks {
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }

    mutating func uniform() -> Float { Float(next() % 1_000_000) / 1_000_000 * 2 - 1 }

    mutating func half(_ value: Float) -> [UInt8] {
        let bits = Float16(value).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }

    /// `rows × cols` weights of `type` (Q4_0, Q4_1 or Q8_0) with scales around 0.01.
    mutating func matrix(_ type: GGMLType, rows: Int, cols: Int) -> QuantizedMatrix {
        var bytes: [UInt8] = []
        for _ in 0..<(rows * cols / 32) {
            bytes += half(0.01 + 0.005 * uniform())
            switch type {
            case .q4_1:
                bytes += half(-0.08 + 0.01 * uniform())
                bytes += (0..<16).map { _ in UInt8(next() & 0xFF) }
            case .q4_0:
                bytes += (0..<16).map { _ in UInt8(next() & 0xFF) }
            default:
                bytes += (0..<32).map { _ in UInt8(next() & 0xFF) }
            }
        }
        return QuantizedMatrix(rows: rows, cols: cols, type: type, storage: MappedFile(path: "random \(type)", bytes: bytes), offset: 0)
    }

    mutating func activations(rows: Int, cols: Int) -> [Float] {
        (0..<(rows * cols)).map { _ in 2 * uniform() }
    }
}

@Suite("QuantizedProduct: SIMD kernels on Q4_0, Q4_1 and Q8_0 blocks")
struct QuantizedProductTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q8_0]

    static func product(_ x: [Float], rows: Int, _ weight: QuantizedMatrix, accumulateOnto start: [Float]? = nil) -> [Float] {
        var y = start ?? [Float](repeating: 0, count: rows * weight.rows)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                QuantizedProduct.apply(xs.baseAddress!, rows: rows, weight: weight, into: ys.baseAddress!, accumulate: start != nil)
            }
        }
        return y
    }

    /// The kernel against the dequantised weights multiplied in Double. Quantising an
    /// activation block of largest magnitude `a` to 8 bits moves each value by at most
    /// `a / 254` (round to nearest of `x / (a / 127)`), so output `o` of row `r` may be off
    /// by `Σ_blocks a_b / 254 · Σ_{j ∈ b} |w_oj|`; on top, float32 rounding is allowed
    /// `1e-5 · Σ_j |w_oj · x_rj|`. The observed error must also be well under the bound
    /// on average (it is a sum of independent roundings).
    @Test("Each kernel is within the activation-quantisation bound of the exact product", arguments: types)
    func againstDequantised(type: GGMLType) throws {
        var random = RandomBlocks(state: UInt64(type.rawValue) + 7)
        let (rows, cols, outputs) = (5, 576, 200)
        let weight = random.matrix(type, rows: outputs, cols: cols)
        let x = random.activations(rows: rows, cols: cols)
        let y = Self.product(x, rows: rows, weight)
        let exact = weight.dequantized()
        var ratioSum = 0.0
        for r in 0..<rows {
            for o in 0..<outputs {
                var reference = 0.0, bound = 0.0, scale = 0.0
                for block in 0..<(cols / 32) {
                    var largest: Float = 0, weightMass = 0.0
                    for j in (block * 32)..<(block * 32 + 32) {
                        let w = exact.values[o * cols + j], v = x[r * cols + j]
                        reference += Double(w) * Double(v)
                        scale += abs(Double(w) * Double(v))
                        largest = max(largest, abs(v))
                        weightMass += abs(Double(w))
                    }
                    bound += Double(largest) / 254 * weightMass
                }
                let error = abs(Double(y[r * outputs + o]) - reference)
                #expect(error <= bound + 1e-5 * scale, "\(type) row \(r) output \(o): \(y[r * outputs + o]) vs \(reference)")
                ratioSum += error / bound
            }
        }
        #expect(ratioSum / Double(rows * outputs) < 0.2, "\(type): mean error / bound \(ratioSum / Double(rows * outputs))")
    }

    @Test("Batch invariance: row r of a 7-row product is bit-identical to row r alone, accumulating too", arguments: types)
    func batchInvariant(type: GGMLType) throws {
        var random = RandomBlocks(state: UInt64(type.rawValue) + 11)
        let (rows, cols, outputs) = (7, 1536, 100)
        let weight = random.matrix(type, rows: outputs, cols: cols)
        let x = random.activations(rows: rows, cols: cols)
        let start = random.activations(rows: rows, cols: outputs)
        let batched = Self.product(x, rows: rows, weight)
        let batchedSum = Self.product(x, rows: rows, weight, accumulateOnto: start)
        for r in 0..<rows {
            let row = Array(x[r * cols..<(r + 1) * cols])
            let alone = Self.product(row, rows: 1, weight)
            let aloneSum = Self.product(row, rows: 1, weight, accumulateOnto: Array(start[r * outputs..<(r + 1) * outputs]))
            #expect(Array(batched[r * outputs..<(r + 1) * outputs]).map(\.bitPattern) == alone.map(\.bitPattern), "\(type) row \(r)")
            #expect(Array(batchedSum[r * outputs..<(r + 1) * outputs]).map(\.bitPattern) == aloneSum.map(\.bitPattern), "\(type) row \(r)")
        }
    }

    @Test("Dequantising blocks of rows for sgemm gives the float32 product of the dequantised weights", arguments: types)
    func dequantizingPath(type: GGMLType) throws {
        var random = RandomBlocks(state: UInt64(type.rawValue) + 13)
        let (rows, cols, outputs) = (70, 64, 600)
        let weight = random.matrix(type, rows: outputs, cols: cols)
        let x = random.activations(rows: rows, cols: cols)
        var viaBlocks = [Float](repeating: 0, count: rows * outputs)
        var viaMatrix = viaBlocks
        x.withUnsafeBufferPointer { xs in
            viaBlocks.withUnsafeMutableBufferPointer {
                QuantizedProduct.applyDequantizing(xs.baseAddress!, rows: rows, weight: weight, into: $0.baseAddress!, accumulate: false)
            }
            viaMatrix.withUnsafeMutableBufferPointer {
                Linear.apply(xs.baseAddress!, rows: rows, weight: weight.dequantized(), into: $0.baseAddress!)
            }
        }
        for (a, b) in zip(viaBlocks, viaMatrix) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
    }

    @Test("Permuting rows moves whole rows of blocks; quantised embedding rows dequantise exactly")
    func permutationAndGather() throws {
        var random = RandomBlocks(state: 5)
        let weight = random.matrix(.q4_1, rows: 128, cols: 64)
        let exact = weight.dequantized()
        let permuted = weight.permutingRows { LlamaRowPermutation.huggingFaceRow(ofGGUFRow: $0, headDim: 64) }.dequantized()
        for row in 0..<128 {
            let target = LlamaRowPermutation.huggingFaceRow(ofGGUFRow: row, headDim: 64)
            #expect(Array(permuted.values[target * 64..<(target + 1) * 64]) == Array(exact.values[row * 64..<(row + 1) * 64]))
        }
        let tokens: [Int32] = [3, 127, 0, 3]
        var gathered = [Float](repeating: 0, count: tokens.count * 64)
        gathered.withUnsafeMutableBufferPointer { EmbeddingLookup.gather(tokens, table: .quantized(weight), into: $0.baseAddress!) }
        #expect(gathered == tokens.flatMap { Array(exact.values[Int($0) * 64..<(Int($0) + 1) * 64]) })
    }
}
