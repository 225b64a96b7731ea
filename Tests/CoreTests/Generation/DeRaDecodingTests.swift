import Foundation
import Testing
@testable import Core

@Suite("DeRa: fused logits of two models decoding together")
struct DeRaDecodingTests {
    static func models() throws -> (reference: Transformer, aligned: Transformer) {
        (Transformer(weights: try TinyModelFixture.weights("tiny-qwen2")),
         Transformer(weights: try TinyModelFixture.weights("tiny-qwen2-aligned")))
    }

    static func logSoftmax(_ row: [Float]) -> [Float] {
        let maximum = row.max()!
        let logSum = Float(log(row.reduce(0.0) { $0 + exp(Double($1 - maximum)) }))
        return row.map { $0 - maximum - logSum }
    }

    @Test("Decoding B token by token with two caches gives the TrRa fused log-probs of every row")
    func fusedRowsMatchGoldens() throws {
        let (reference, aligned) = try Self.models()
        let ids = try #require(try TinyModelFixture.sequences()["B"])
        let golden = try TinyModelFixture.golden("trra-fused.safetensors")
        let referenceCache = reference.makeCache(), alignedCache = aligned.makeCache()
        var rows: [(ref: [Float], aligned: [Float])] = []
        for token in ids {
            let r = reference.decode([DecodeInput(cache: referenceCache, tokens: [token])])[0]
            let a = aligned.decode([DecodeInput(cache: alignedCache, tokens: [token])])[0]
            rows.append((r, a))
        }
        for (lambda, tag) in [(Float(0), "lam_0.0"), (0.5, "lam_0.5"), (1, "lam_1.0"), (2, "lam_2.0"), (-0.5, "lam_-0.5")] {
            let expected = try golden.floats("fused_logprobs/B/\(tag)")
            for (t, row) in rows.enumerated() {
                let fused = Self.logSoftmax(LogitInterpolation.mix(row.aligned, lambda, row.ref))
                let diff = maxAbsDifference(fused, Array(expected[t * 256..<(t + 1) * 256]))
                #expect(diff <= 3e-4, "\(tag) row \(t): \(diff)")
            }
        }
    }

    /// Greedy DeRa by full recompute: each model reads its own prompt plus the tokens so far.
    static func recomputedGreedy(
        _ models: (reference: Transformer, aligned: Transformer), referencePrompt: [Int32], alignedPrompt: [Int32],
        lambda: Float, count: Int
    ) -> [Int32] {
        var generated: [Int32] = []
        for _ in 0..<count {
            let r = referencePrompt + generated, a = alignedPrompt + generated
            let refLogits = models.reference.logits(sequences: [r], rows: [(r.count - 1)..<r.count])[0].values
            let alignedLogits = models.aligned.logits(sequences: [a], rows: [(a.count - 1)..<a.count])[0].values
            generated.append(Sampler.argmax(LogitInterpolation.mix(alignedLogits, lambda, refLogits)))
        }
        return generated
    }

    @Test("Greedy DeRa in a session equals full recompute, with a shared and with an aligned-only prompt")
    func greedyMatchesRecompute() throws {
        let models = try Self.models()
        let sequences = try TinyModelFixture.sequences()
        let a = try #require(sequences["A"]), b = try #require(sequences["B"])
        let alignedPrompt = Array(b[0..<12])
        let session = DecodeSession(model: .dera(reference: models.reference, aligned: models.aligned))
        try session.add(GenerationRequest(id: "shared", promptIds: a, lambda: 2, maxTokens: 10))
        try session.add(GenerationRequest(id: "system", promptIds: a, alignedPromptIds: alignedPrompt, lambda: 0.5, maxTokens: 10))
        try session.add(GenerationRequest(id: "ref", promptIds: a, lambda: 0, maxTokens: 10))
        let results = session.runToCompletion()
        #expect(results[0].tokenIds == Self.recomputedGreedy(models, referencePrompt: a, alignedPrompt: a, lambda: 2, count: 10))
        #expect(results[1].tokenIds == Self.recomputedGreedy(models, referencePrompt: a, alignedPrompt: alignedPrompt, lambda: 0.5, count: 10))
        let plain = DecodeSession(model: .plain(models.reference))
        try plain.add(GenerationRequest(id: "ref", promptIds: a, maxTokens: 10))
        #expect(results[2] == plain.runToCompletion()[0])
        #expect(results[1].promptTokens == a.count)
    }
}
