import Testing
@testable import Core

/// Figures, not assertions on time (the machine is shared): what the fusion costs per
/// logit, on one thread as a fleet worker of one core runs it. Run in release with
/// `swift test -c release --disable-xctest --filter FusionMeasurements`.
@Suite("FusionMeasurements: fusion and top-k per logit (prints figures)", .serialized)
struct FusionMeasurements {
    @Test("Two lambdas, top-32, SmolLM2's vocabulary in head blocks, one thread")
    func perLogit() {
        let rows = 128, vocab = 49_152, block = TeacherFusion.headColumns
        let ref = FusionAccumulatorTests.logits(rows: rows, vocab: block, seed: 1)
        let aligned = FusionAccumulatorTests.logits(rows: rows, vocab: block, seed: 2)
        let saved = ComputeThreads.count
        ComputeThreads.set(1)
        defer { ComputeThreads.set(saved) }
        let seconds = QuantizedMeasurements.bestSeconds(repeats: 3) {
            let accumulator = FusionAccumulator(rows: rows, vocab: vocab, lambdas: [0.5, 2.0], topK: 32,
                                                targets: [Int32](repeating: 5, count: rows))
            ref.values.withUnsafeBufferPointer { r in
                aligned.values.withUnsafeBufferPointer { a in
                    // The same logits in every block: what is measured is the work per entry.
                    for first in stride(from: 0, to: vocab, by: block) {
                        accumulator.absorb(ref: r.baseAddress!, aligned: a.baseAddress!, rowStride: block,
                                           columns: first..<first + block)
                    }
                }
            }
            #expect(accumulator.finish().count == 2)
        }
        let entries = Double(rows * vocab * 2)
        print("fusion, 2 lambdas, top-32, blocks of \(block): \(seconds * 1e9 / entries) ns per logit and lambda, \(seconds * 1e3) ms for \(rows) rows")
    }
}
