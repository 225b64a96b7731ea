import Testing
@testable import Core

@Suite("Transformer forward against the Hugging Face goldens")
struct TransformerGoldenTests {
    static let tolerance: Float = 1e-4

    @Test("Full logits of sequences A, B, C", arguments: ["tiny-llama", "tiny-qwen2", "tiny-qwen2-aligned"])
    func logitsMatchGoldens(model: String) throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights(model))
        let sequences = try TinyModelFixture.sequences()
        let golden = try TinyModelFixture.golden(model + ".safetensors")
        for name in TinyModelFixture.sequenceNames {
            let ids = try #require(sequences[name])
            let logits = transformer.logits(sequences: [ids], rows: [0..<ids.count])[0]
            #expect(logits.rows == ids.count && logits.cols == 256)
            let diff = maxAbsDifference(logits.values, try golden.floats("logits/\(name)"))
            #expect(diff <= Self.tolerance, "\(model) logits/\(name): max abs diff \(diff)")
        }
    }

    @Test("Residual stream after every layer and the final norm for B", arguments: ["tiny-llama", "tiny-qwen2"])
    func hiddenStatesPerLayer(model: String) throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights(model))
        let ids = try #require(try TinyModelFixture.sequences()["B"])
        let golden = try TinyModelFixture.golden(model + ".safetensors")
        let streams = transformer.residualStreams(sequence: ids)
        #expect(streams.count == 5)
        let names = ["hidden/B/embed"] + (0..<4).map { "hidden/B/layer_out/\($0)" }
        for (stream, name) in zip(streams, names) {
            #expect(stream.rows == 33 && stream.cols == 64)
            let diff = maxAbsDifference(stream.values, try golden.floats(name))
            #expect(diff <= Self.tolerance, "\(model) \(name): max abs diff \(diff)")
        }
        let finalNorm = transformer.hiddenStates(sequences: [ids])[0]
        let diff = maxAbsDifference(finalNorm.values, try golden.floats("hidden/B/final_norm"))
        #expect(diff <= Self.tolerance, "\(model) final_norm: max abs diff \(diff)")
    }

    @Test("A batch of A, B, C gives each sequence's own logits and hidden states", arguments: ["tiny-llama", "tiny-qwen2"])
    func batchedEqualsIndividual(model: String) throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights(model))
        let sequences = try TinyModelFixture.sequences()
        let batch = try TinyModelFixture.sequenceNames.map { try #require(sequences[$0]) }
        let batchedLogits = transformer.logits(sequences: batch, rows: batch.map { 0..<$0.count })
        let batchedHidden = transformer.hiddenStates(sequences: batch)
        for (s, ids) in batch.enumerated() {
            let single = transformer.logits(sequences: [ids], rows: [0..<ids.count])[0]
            #expect(batchedLogits[s].rows == ids.count)
            #expect(maxAbsDifference(batchedLogits[s].values, single.values) <= 1e-5)
            let singleHidden = transformer.hiddenStates(sequences: [ids])[0]
            #expect(maxAbsDifference(batchedHidden[s].values, singleHidden.values) <= 1e-5)
        }
    }

    @Test("Logits of requested rows are those rows of the full logits")
    func requestedRows() throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2"))
        let sequences = try TinyModelFixture.sequences()
        let a = try #require(sequences["A"]), b = try #require(sequences["B"]), c = try #require(sequences["C"])
        let golden = try TinyModelFixture.golden("tiny-qwen2.safetensors")
        let ranges = [2..<6, 9..<32, 0..<0]
        let logits = transformer.logits(sequences: [a, b, c], rows: ranges)
        for (name, (range, result)) in zip(["A", "B", "C"], zip(ranges, logits)) {
            #expect(result.rows == range.count && result.cols == 256)
            let full = try golden.floats("logits/\(name)")
            let expected = Array(full[range.lowerBound * 256..<range.upperBound * 256])
            #expect(maxAbsDifference(result.values, expected) <= Self.tolerance, "rows \(range) of \(name)")
        }
    }
}

@Suite("Transformer and fusion on empty input")
struct EmptyInputTests {
    @Test("Empty sequences and empty row ranges give empty results beside real ones")
    func emptyInputs() throws {
        let transformer = Transformer(weights: try TinyModelFixture.weights("tiny-llama"))
        let a = try #require(try TinyModelFixture.sequences()["A"])
        let golden = try TinyModelFixture.golden("tiny-llama.safetensors").floats("logits/A")
        let logits = transformer.logits(sequences: [[], a], rows: [0..<0, 0..<7])
        #expect(logits[0].rows == 0 && logits[0].cols == 256)
        #expect(maxAbsDifference(logits[1].values, golden) <= 1e-4)
        #expect(transformer.logits(sequences: [a], rows: [3..<3])[0].rows == 0)
        #expect(transformer.hiddenStates(sequences: [[]])[0].rows == 0)
        #expect(transformer.hiddenStates(sequences: []).isEmpty)

        let none = Matrix(zeros: 0, 256)
        let fused = Fusion.fuse(ref: none, aligned: none, lambdas: [0.5, 2], topK: 8, targets: [])
        #expect(fused.map(\.lambda) == [0.5, 2])
        #expect(fused.allSatisfy { $0.rowCount == 0 && $0.topKIds.isEmpty && $0.topKLogProbs.isEmpty })
        #expect(Fusion.fusedLogProbs(ref: none, aligned: none, lambda: 2).rows == 0)
    }
}
