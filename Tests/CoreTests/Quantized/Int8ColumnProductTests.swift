import Testing
@testable import Core

/// The AVX-512 VNNI products on column-packed weights (skipped where the CPU lacks them).
@Suite("Int8ColumnProduct: VNNI products on column-packed Q4_0, Q4_1 and Q8_0", .enabled(if: Int8ColumnProduct.isAvailable))
struct Int8ColumnProductTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q8_0]

    static func product(_ x: [Float], rows: Int, _ weight: ColumnPackedWeight, outputs: Range<Int>, onto start: [Float]? = nil) -> [Float] {
        var y = start ?? [Float](repeating: 0, count: rows * outputs.count)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer {
                Int8ColumnProduct.apply(xs.baseAddress!, rows: rows, weight: weight, outputs: outputs, into: $0.baseAddress!, accumulate: start != nil)
            }
        }
        return y
    }

    /// `Σ_k |w_k · x_k|` per output: the scale the products' rounding is relative to.
    static func magnitudes(_ x: [Float], rows: Int, _ exact: Matrix) -> [Float] {
        (0..<rows).flatMap { r in
            (0..<exact.rows).map { o in
                (0..<exact.cols).reduce(Float(0)) { $0 + abs(exact.values[o * exact.cols + $1] * x[r * exact.cols + $1]) }
            }
        }
    }

    @Test("The same int8 arithmetic as the AVX2 kernel: equal up to float rounding, accumulating too", arguments: types)
    func matchesKernel(type: GGMLType) throws {
        var random = RandomBlocks(state: 11)
        let (rows, outputs, cols) = (7, 64, 576)
        let weight = random.matrix(type, rows: outputs, cols: cols)
        let x = random.activations(rows: rows, cols: cols)
        var kernel = [Float](repeating: 0, count: rows * outputs)
        x.withUnsafeBufferPointer { xs in
            kernel.withUnsafeMutableBufferPointer {
                QuantizedProduct.apply(xs.baseAddress!, rows: rows, weight: weight, into: $0.baseAddress!, accumulate: false)
            }
        }
        let packed = ColumnPackedWeight(weight)
        let vnni = Self.product(x, rows: rows, packed, outputs: 0..<outputs)
        let scale = Self.magnitudes(x, rows: rows, weight.dequantized())
        for i in kernel.indices { #expect(abs(vnni[i] - kernel[i]) <= 1e-6 * scale[i], "element \(i): \(vnni[i]) vs \(kernel[i])") }
        let start = random.activations(rows: rows, cols: outputs)
        let accumulated = Self.product(x, rows: rows, packed, outputs: 0..<outputs, onto: start)
        #expect(accumulated == zip(start, vnni).map { $0 + $1 })
    }

    @Test("A block of outputs is those columns of the whole product; rows are batch-invariant", arguments: types)
    func outputBlocksAndRows(type: GGMLType) throws {
        var random = RandomBlocks(state: 12)
        let (rows, outputs, cols) = (6, 128, 64)
        let packed = ColumnPackedWeight(random.matrix(type, rows: outputs, cols: cols))
        let x = random.activations(rows: rows, cols: cols)
        let whole = Self.product(x, rows: rows, packed, outputs: 0..<outputs)
        let block = Self.product(x, rows: rows, packed, outputs: 32..<96)
        let columns: [[Float]] = (0..<rows).map { r in Array(whole[r * outputs + 32..<r * outputs + 96]) }
        #expect(block == Array(columns.joined()))
        for r in 0..<rows {
            let alone = Self.product(Array(x[r * cols..<(r + 1) * cols]), rows: 1, packed, outputs: 0..<outputs)
            #expect(alone == Array(whole[r * outputs..<(r + 1) * outputs]))
        }
    }

    @Test("Once packed, a weight's rows decode from the packed copy to the file's exact values", arguments: types)
    func packedRowsDecodeExactly(type: GGMLType) throws {
        var random = RandomBlocks(state: 13)
        let weight = random.matrix(type, rows: 64, cols: 96)
        let before = weight.dequantized()
        let packed = try #require(weight.columnPacked)
        #expect(packed === weight.columnPacked)
        #expect(weight.dequantized() == before)
    }
}
