import Testing
@testable import Core

@Suite("Fusion over the vocabulary in blocks")
struct FusionAccumulatorTests {
    /// Logits with a spread like a model's, and a few exact ties (tied embedding rows).
    static func logits(rows: Int, vocab: Int, seed: UInt64) -> Matrix {
        var state = seed
        var values = (0..<rows * vocab).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 20_000) / 1000
        }
        for row in 0..<rows { values[row * vocab + 7] = values[row * vocab + 3] }
        return Matrix(rows: rows, cols: vocab, values: values)
    }

    @Test("Uneven blocks give the whole rows' top-k, log-probs and targets")
    func blocksMatchWholeRows() {
        let rows = 5, vocab = 1000
        let ref = Self.logits(rows: rows, vocab: vocab, seed: 1), aligned = Self.logits(rows: rows, vocab: vocab, seed: 2)
        let targets: [Int32] = [0, 999, 255, 256, 511]
        let lambdas = [0.5, 2.0, -1.0]
        let whole = Fusion.fuse(ref: ref, aligned: aligned, lambdas: lambdas, topK: 16, targets: targets)

        let accumulator = FusionAccumulator(rows: rows, vocab: vocab, lambdas: lambdas, topK: 16, targets: targets)
        var first = 0
        for width in [1, 255, 256, 300, 188] {
            let columns = first..<first + width
            // Each block as its own row-major [rows, width] matrix, as the output head writes it.
            let block = { (m: Matrix) in (0..<rows).flatMap { Array(m.values[$0 * vocab + columns.lowerBound..<$0 * vocab + columns.upperBound]) } }
            let refBlock = block(ref), alignedBlock = block(aligned)
            refBlock.withUnsafeBufferPointer { r in
                alignedBlock.withUnsafeBufferPointer { a in
                    accumulator.absorb(ref: r.baseAddress!, aligned: a.baseAddress!, rowStride: width, columns: columns)
                }
            }
            first += width
        }
        let blocked = accumulator.finish()
        for (w, b) in zip(whole, blocked) {
            #expect(b.lambda == w.lambda)
            #expect(b.topKIds == w.topKIds, "λ \(w.lambda)")
            #expect(zip(b.topKLogProbs, w.topKLogProbs).allSatisfy { abs($0 - $1) <= 1e-5 }, "λ \(w.lambda)")
            #expect(zip(b.targetLogProbs, w.targetLogProbs).allSatisfy { abs($0 - $1) <= 1e-5 }, "λ \(w.lambda)")
        }
        // The tie at ids 3 and 7 keeps the lower id first wherever both are in the top-k.
        for row in 0..<rows {
            let ids = Array(blocked[0].topKIds[row * 16..<(row + 1) * 16])
            if let three = ids.firstIndex(of: 3), let seven = ids.firstIndex(of: 7) { #expect(three < seven) }
        }
    }
}
