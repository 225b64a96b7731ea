import Foundation
import Testing
@testable import Core

@Suite("TrRa fusion against the goldens")
struct FusionGoldenTests {
    static let tolerance: Float = 3e-4

    struct Lambda {
        var value: Double
        var tag: String
    }

    static func lambdas() throws -> [Lambda] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("goldens/trra-fused.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try #require(object["lams"] as? [[String: Any]])
        return try entries.map { Lambda(value: try #require($0["lam"] as? Double), tag: try #require($0["tag"] as? String)) }
    }

    /// The engine's logits of both models on every sequence, one batched forward each.
    static func engineLogits() throws -> (ref: [String: Matrix], aligned: [String: Matrix]) {
        let sequences = try TinyModelFixture.sequences()
        let batch = try TinyModelFixture.sequenceNames.map { try #require(sequences[$0]) }
        let rows = batch.map { 0..<$0.count }
        let ref = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2")).logits(sequences: batch, rows: rows)
        let aligned = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2-aligned")).logits(sequences: batch, rows: rows)
        return (Dictionary(uniqueKeysWithValues: zip(TinyModelFixture.sequenceNames, ref)),
                Dictionary(uniqueKeysWithValues: zip(TinyModelFixture.sequenceNames, aligned)))
    }

    @Test("Full fused log-probs from the engine's own logits, every λ and sequence")
    func fusedLogProbsFromEngine() throws {
        let golden = try TinyModelFixture.golden("trra-fused.safetensors")
        let (ref, aligned) = try Self.engineLogits()
        for name in TinyModelFixture.sequenceNames {
            for lambda in try Self.lambdas() {
                let fused = Fusion.fusedLogProbs(ref: try #require(ref[name]), aligned: try #require(aligned[name]), lambda: lambda.value)
                let diff = maxAbsDifference(fused.values, try golden.floats("fused_logprobs/\(name)/\(lambda.tag)"))
                #expect(diff <= Self.tolerance, "\(name) \(lambda.tag): max abs diff \(diff)")
            }
        }
    }

    @Test("Fusing the golden logits reproduces the golden log-probs to float32 rounding")
    func fusedLogProbsFromGoldenLogits() throws {
        let golden = try TinyModelFixture.golden("trra-fused.safetensors")
        let refFile = try TinyModelFixture.golden("tiny-qwen2.safetensors")
        let alignedFile = try TinyModelFixture.golden("tiny-qwen2-aligned.safetensors")
        for name in TinyModelFixture.sequenceNames {
            let rows = try refFile.info("logits/\(name)").shape[0]
            let ref = Matrix(rows: rows, cols: 256, values: try refFile.floats("logits/\(name)"))
            let aligned = Matrix(rows: rows, cols: 256, values: try alignedFile.floats("logits/\(name)"))
            for lambda in try Self.lambdas() {
                let fused = Fusion.fusedLogProbs(ref: ref, aligned: aligned, lambda: lambda.value)
                let diff = maxAbsDifference(fused.values, try golden.floats("fused_logprobs/\(name)/\(lambda.tag)"))
                #expect(diff <= 5e-6, "\(name) \(lambda.tag): max abs diff \(diff)")
            }
        }
    }

    @Test("Top-k and target log-probs at every λ from one pair of forward passes")
    func topKAndTargets() throws {
        let golden = try TinyModelFixture.golden("trra-fused.safetensors")
        let sequences = try TinyModelFixture.sequences()
        let (ref, aligned) = try Self.engineLogits()
        let lambdas = try Self.lambdas()
        let k = 8
        for name in TinyModelFixture.sequenceNames {
            let ids = try #require(sequences[name])
            let rows = ids.count
            // The next token at each row; the last row, which has none, asks for id 0.
            let targets = Array(ids.dropFirst()) + [0]
            let refLogits = try #require(ref[name]), alignedLogits = try #require(aligned[name])
            let results = Fusion.fuse(ref: refLogits, aligned: alignedLogits, lambdas: lambdas.map(\.value), topK: k, targets: targets)
            #expect(results.count == lambdas.count)
            for (lambda, result) in zip(lambdas, results) {
                #expect(result.lambda == lambda.value && result.topK == k && result.rowCount == rows)
                #expect(result.topKIds.count == rows * k && result.topKLogProbs.count == rows * k)
                let goldenLogProbs = try golden.floats("fused_logprobs/\(name)/\(lambda.tag)")
                let goldenIds = try golden.int32s("topk_indices/\(name)/\(lambda.tag)")
                let goldenValues = try golden.floats("topk_values/\(name)/\(lambda.tag)")
                let full = Fusion.fusedLogProbs(ref: refLogits, aligned: alignedLogits, lambda: lambda.value).values
                for t in 0..<rows {
                    let context = "\(name) \(lambda.tag) row \(t)"
                    let engineIds = Array(result.topKIds[t * k..<(t + 1) * k])
                    let engineValues = Array(result.topKLogProbs[t * k..<(t + 1) * k])
                    let expectedIds = Array(goldenIds[t * k..<(t + 1) * k])
                    let expectedValues = Array(goldenValues[t * k..<(t + 1) * k])
                    // The engine's log-probs at the golden indices match the golden values.
                    for (id, value) in zip(expectedIds, expectedValues) {
                        #expect(abs(full[t * 256 + Int(id)] - value) <= Self.tolerance, "\(context): id \(id)")
                    }
                    // Any engine pick clearly above the golden k-th value is a golden pick.
                    for (id, value) in zip(engineIds, engineValues) where value > expectedValues[k - 1] + Self.tolerance {
                        #expect(expectedIds.contains(id), "\(context): id \(id) (\(value)) not in the golden top-\(k)")
                    }
                    // The top-k values are the row's own log-probs, in descending order.
                    for (id, value) in zip(engineIds, engineValues) {
                        #expect(abs(full[t * 256 + Int(id)] - value) <= 1e-6, "\(context): value of id \(id)")
                    }
                    #expect(zip(engineValues, engineValues.dropFirst()).allSatisfy { $0 >= $1 }, "\(context): order")
                    let target = Int(targets[t])
                    #expect(abs(result.targetLogProbs[t] - goldenLogProbs[t * 256 + target]) <= Self.tolerance,
                            "\(context): target \(target)")
                }
            }
        }
    }
}

@Suite("Fusion details: top-k selection and numerical stability")
struct FusionStabilityTests {
    @Test("Top-k breaks ties by the lower id and keeps descending order")
    func topKTies() {
        let row: [Float] = [1, 5, 3, 5, -2, 3, 5, 0, 3]
        var selection = TopKSelection(k: 5)
        let picked = row.withUnsafeBufferPointer { selection.select($0.baseAddress!, count: row.count) }
        #expect(picked.map(\.index) == [1, 3, 6, 2, 5])
        #expect(picked.map(\.value) == [5, 5, 5, 3, 3])
        let again = row.withUnsafeBufferPointer { selection.select($0.baseAddress!, count: row.count) }
        #expect(again.map(\.index) == picked.map(\.index))
        var everything = TopKSelection(k: row.count)
        let sorted = row.withUnsafeBufferPointer { everything.select($0.baseAddress!, count: row.count) }
        #expect(sorted.map(\.index) == [1, 3, 6, 2, 5, 8, 0, 7, 4])
    }

    @Test("Fusion at λ = ±10 on large logits stays finite and normalised", arguments: [-10.0, 10.0])
    func extremeLambda(lambda: Double) {
        let rows = 4, vocab = 49152
        var generator = SplitMix64(seed: 20250612)
        let ref = Matrix(rows: rows, cols: vocab, values: (0..<rows * vocab).map { _ in generator.nextFloat(in: -40...40) })
        let aligned = Matrix(rows: rows, cols: vocab, values: (0..<rows * vocab).map { _ in generator.nextFloat(in: -40...40) })
        let fused = Fusion.fusedLogProbs(ref: ref, aligned: aligned, lambda: lambda)
        let targets = (0..<rows).map { Int32($0 * 1000) }
        let result = Fusion.fuse(ref: ref, aligned: aligned, lambdas: [lambda], topK: 20, targets: targets)[0]
        for t in 0..<rows {
            let row = fused.values[t * vocab..<(t + 1) * vocab]
            #expect(row.allSatisfy { $0.isFinite && $0 <= 0 })
            let total = row.reduce(0.0) { $0 + exp(Double($1)) }
            #expect(abs(total - 1) <= 1e-4, "row \(t): probabilities sum to \(total)")
            // Reference in Double: the arg-max of z and its log-prob.
            let z = (0..<vocab).map { lambda * Double(aligned.values[t * vocab + $0]) + (1 - lambda) * Double(ref.values[t * vocab + $0]) }
            let zMax = z.max()!
            let logSum = log(z.reduce(0.0) { $0 + exp($1 - zMax) })
            let best = z.indices.max { z[$0] < z[$1] }!
            #expect(result.topKIds[t * 20] == Int32(best))
            #expect(abs(Double(result.topKLogProbs[t * 20]) + logSum) <= 1e-3)
            let target = Int(targets[t])
            // float32 rounding of z (|z| up to ~840 here) bounds the agreement to ~1e-4 per term.
            #expect(abs(Double(result.targetLogProbs[t]) - (z[target] - zMax - logSum)) <= 1e-3)
            #expect(result.targetLogProbs[t] == fused.values[t * vocab + target])
        }
    }
}

/// A small deterministic generator for test data.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextFloat(in range: ClosedRange<Float>) -> Float {
        let unit = Float(next() >> 40) / Float(1 << 24)
        return range.lowerBound + unit * (range.upperBound - range.lowerBound)
    }
}
