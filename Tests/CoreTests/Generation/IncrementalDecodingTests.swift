import Testing
@testable import Core

@Suite("KV-cache decoding against full recompute")
struct IncrementalDecodingTests {
    static let tolerance: Float = 1e-4

    @Test("Prefill then one token at a time gives every row of the full logits", arguments: ["tiny-llama", "tiny-qwen2"])
    func decodeEqualsFullRecompute(model: String) throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights(model))
        let ids = try #require(try TinyModelFixture.sequences()["B"])
        let full = transformer.logits(sequences: [ids], rows: [0..<ids.count])[0]
        let golden = try TinyModelFixture.golden(model + ".safetensors").floats("logits/B")
        let vocab = full.cols
        let prefill = 5
        let cache = transformer.makeCache()
        var rows = [transformer.decode([DecodeInput(cache: cache, tokens: Array(ids[0..<prefill]))])[0]]
        for t in prefill..<ids.count {
            rows.append(transformer.decode([DecodeInput(cache: cache, tokens: [ids[t]])])[0])
        }
        #expect(cache.length == ids.count)
        for (j, row) in rows.enumerated() {
            let t = prefill - 1 + j
            let expected = Array(full.values[t * vocab..<(t + 1) * vocab])
            #expect(maxAbsDifference(row, expected) <= Self.tolerance, "\(model) row \(t) against full recompute")
            #expect(maxAbsDifference(row, Array(golden[t * vocab..<(t + 1) * vocab])) <= Self.tolerance, "\(model) row \(t) against HF")
        }
    }

    @Test("Sequences of different lengths advanced together equal each decoded alone", arguments: ["tiny-llama", "tiny-qwen2"])
    func batchedDecodeEqualsSingle(model: String) throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights(model))
        let sequences = try TinyModelFixture.sequences()
        let a = try #require(sequences["A"]), b = try #require(sequences["B"]), c = try #require(sequences["C"])
        let vocab = 256
        let fullA = transformer.logits(sequences: [a], rows: [0..<a.count])[0].values
        let fullB = transformer.logits(sequences: [b], rows: [0..<b.count])[0].values
        // A and B prefill different lengths in one pass while C (one token) joins.
        let cacheA = transformer.makeCache(), cacheB = transformer.makeCache(), cacheC = transformer.makeCache()
        let first = transformer.decode([
            DecodeInput(cache: cacheA, tokens: Array(a[0..<3])),
            DecodeInput(cache: cacheB, tokens: Array(b[0..<20])),
            DecodeInput(cache: cacheC, tokens: c),
        ])
        #expect(maxAbsDifference(first[0], Array(fullA[2 * vocab..<3 * vocab])) <= Self.tolerance)
        #expect(maxAbsDifference(first[1], Array(fullB[19 * vocab..<20 * vocab])) <= Self.tolerance)
        #expect(maxAbsDifference(first[2], transformer.logits(sequences: [c], rows: [0..<1])[0].values) <= Self.tolerance)
        for step in 0..<4 {
            let out = transformer.decode([
                DecodeInput(cache: cacheA, tokens: [a[3 + step]]),
                DecodeInput(cache: cacheB, tokens: [b[20 + step]]),
            ])
            let rowA = 3 + step, rowB = 20 + step
            #expect(maxAbsDifference(out[0], Array(fullA[rowA * vocab..<(rowA + 1) * vocab])) <= Self.tolerance, "A step \(step)")
            #expect(maxAbsDifference(out[1], Array(fullB[rowB * vocab..<(rowB + 1) * vocab])) <= Self.tolerance, "B step \(step)")
        }
        #expect(cacheA.length == 7 && cacheB.length == 24 && cacheC.length == 1)
    }
}
