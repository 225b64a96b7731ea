import Foundation
import Testing
@testable import Core

/// The InRa fixtures: `goldens/inra.safetensors` and the `greedy` / `lams` entries of `inra.json`.
enum InRaFixture {
    static func json() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("goldens/inra.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func lambdas() throws -> [(lambda: Float, tag: String)] {
        let entries = try #require(try json()["lams"] as? [[String: Any]])
        return try entries.map { (Float(try #require($0["lam"] as? Double)), try #require($0["tag"] as? String)) }
    }

    struct Greedy {
        var lambda: Float
        var promptIds: [Int32]
        var generatedIds: [Int32]
    }

    static func greedy() throws -> [Greedy] {
        let entries = try #require(try json()["greedy"] as? [[String: Any]])
        return try entries.map {
            Greedy(lambda: Float(try #require($0["lam"] as? Double)),
                   promptIds: try #require($0["prompt_ids"] as? [Int]).map(Int32.init),
                   generatedIds: try #require($0["generated_ids"] as? [Int]).map(Int32.init))
        }
    }

    static func model(_ directory: String) throws -> InRaModel {
        InRaModel(expanded: try TinyModelFixture.weights(directory))
    }
}

@Suite("InRa two-stream inference against the Hugging Face goldens")
struct InRaGoldenTests {
    static let tolerance: Float = 3e-4

    @Test("Identity adapter: the aligned stream equals the unaligned one and both equal the goldens")
    func identityAdapter() throws {
        let model = try InRaFixture.model("tiny-qwen2-inra")
        let golden = try TinyModelFixture.golden("inra.safetensors")
        let sequences = try TinyModelFixture.sequences()
        for name in TinyModelFixture.sequenceNames {
            let ids = try #require(sequences[name])
            let aligned = model.logits(sequences: [ids], rows: [0..<ids.count], lambda: 1)[0].values
            let unaligned = model.logits(sequences: [ids], rows: [0..<ids.count], lambda: 0)[0].values
            #expect(maxAbsDifference(aligned, unaligned) <= 1e-5, "\(name): aligned vs unaligned")
            #expect(maxAbsDifference(aligned, try golden.floats("identity/expanded_logits/\(name)")) <= Self.tolerance)
            #expect(maxAbsDifference(unaligned, try golden.floats("identity/original_logits/\(name)")) <= Self.tolerance)
        }
    }

    @Test("Perturbed adapter: interpolated logits for every lambda of the goldens")
    func perturbedInterpolation() throws {
        let model = try InRaFixture.model("tiny-qwen2-inra-perturbed")
        let golden = try TinyModelFixture.golden("inra.safetensors")
        let sequences = try TinyModelFixture.sequences()
        let lambdas = try InRaFixture.lambdas()
        #expect(lambdas.count == 5)
        for name in TinyModelFixture.sequenceNames {
            let ids = try #require(sequences[name])
            let aligned = model.logits(sequences: [ids], rows: [0..<ids.count], lambda: 1)[0].values
            #expect(maxAbsDifference(aligned, try golden.floats("perturbed/expanded_logits/\(name)")) <= Self.tolerance)
            for (lambda, tag) in lambdas {
                let mixed = model.logits(sequences: [ids], rows: [0..<ids.count], lambda: lambda)[0].values
                let diff = maxAbsDifference(mixed, try golden.floats("perturbed/interp_logits/\(name)/\(tag)"))
                #expect(diff <= Self.tolerance, "\(name) \(tag): max abs diff \(diff)")
            }
        }
    }

    @Test("Greedy goldens with KV caches, both lambdas, exact ids")
    func greedyGoldens() throws {
        let model = try InRaFixture.model("tiny-qwen2-inra-perturbed")
        let cases = try InRaFixture.greedy()
        #expect(cases.map(\.lambda) == [0.3, 1.0])
        for golden in cases {
            let session = DecodeSession(model: .inra(model))
            try session.add(GenerationRequest(id: "g", promptIds: golden.promptIds, lambda: golden.lambda, maxTokens: 12))
            let result = try #require(session.runToCompletion().first)
            #expect(result.tokenIds == golden.generatedIds, "lambda \(golden.lambda)")
            #expect(result.finishReason == .length && result.completionTokens == 12 && result.promptTokens == 7)
        }
    }

    @Test("lambda 0 is the original model exactly, in full recompute and in decoding")
    func lambdaZeroIsOriginal() throws {
        let model = try InRaFixture.model("tiny-qwen2-inra-perturbed")
        let original = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2"))
        let ids = try #require(try TinyModelFixture.sequences()["B"])
        #expect(model.logits(sequences: [ids], rows: [0..<ids.count], lambda: 0) == original.logits(sequences: [ids], rows: [0..<ids.count]))

        let sampling = SamplingParameters(temperature: 0.8, topP: 0.95, seed: 7)
        let request = GenerationRequest(id: "r", promptIds: Array(ids[0..<9]), lambda: 0, sampling: sampling, maxTokens: 20)
        let inra = DecodeSession(model: .inra(model))
        try inra.add(request)
        let plain = DecodeSession(model: .plain(original))
        try plain.add(request)
        #expect(inra.runToCompletion() == plain.runToCompletion())
    }

    @Test("Base model plus adapter layer equals the expanded model, sharing the base weights")
    func baseAndAdapter() throws {
        let expanded = try TinyModelFixture.weights("tiny-qwen2-inra-perturbed")
        let base = try TinyModelFixture.weights("tiny-qwen2")
        let combined = InRaModel(base: base, adapter: expanded.layers[0])
        #expect(combined.transformer.weights == expanded)
        let ids = try #require(try TinyModelFixture.sequences()["A"])
        let reference = InRaModel(expanded: expanded)
        for lambda: Float in [0, 0.3, 1, -1] {
            #expect(combined.logits(sequences: [ids], rows: [0..<ids.count], lambda: lambda)
                == reference.logits(sequences: [ids], rows: [0..<ids.count], lambda: lambda))
        }
    }

    @Test("A batch with different lambdas gives each request what it gets alone")
    func batchOfLambdas() throws {
        let model = try InRaFixture.model("tiny-qwen2-inra-perturbed")
        let sequences = try TinyModelFixture.sequences()
        let a = try #require(sequences["A"]), b = try #require(sequences["B"]), c = try #require(sequences["C"])
        let requests = [
            GenerationRequest(id: "a", promptIds: a, lambda: 0.3, maxTokens: 12),
            GenerationRequest(id: "b", promptIds: b, lambda: 1.0, sampling: SamplingParameters(temperature: 1, topK: 20, seed: 3), maxTokens: 9),
            GenerationRequest(id: "c", promptIds: c, lambda: -1.0, sampling: SamplingParameters(temperature: 0.7, seed: 11), maxTokens: 15),
            GenerationRequest(id: "d", promptIds: a, lambda: 0, maxTokens: 5),
        ]
        let together = DecodeSession(model: .inra(model))
        for request in requests { try together.add(request) }
        let batched = together.runToCompletion()
        for (request, result) in zip(requests, batched) {
            let alone = DecodeSession(model: .inra(model))
            try alone.add(request)
            #expect(alone.runToCompletion() == [result], "request \(request.id)")
            #expect(result.tokenIds.count == request.maxTokens)
        }
        #expect(batched[0].tokenIds == (try InRaFixture.greedy()[0].generatedIds))
    }

    @Test("A request joining between steps and a cancelled one leave the others unchanged")
    func continuousBatching() throws {
        let model = try InRaFixture.model("tiny-qwen2-inra-perturbed")
        let golden = try InRaFixture.greedy()[1]
        let session = DecodeSession(model: .inra(model))
        try session.add(GenerationRequest(id: "main", promptIds: golden.promptIds, lambda: golden.lambda, maxTokens: 12))
        try session.add(GenerationRequest(id: "cancelled", promptIds: [5, 6, 7], lambda: 0.5))
        var tokens: [Int32] = []
        for step in 0..<12 {
            if step == 3 { try session.add(GenerationRequest(id: "late", promptIds: golden.promptIds, lambda: 0.3, maxTokens: 2)) }
            if step == 5 { #expect(session.cancel(id: "cancelled")) }
            tokens += session.step().filter { $0.id == "main" }.map(\.tokenId)
        }
        #expect(tokens == golden.generatedIds)
        #expect(session.isEmpty)
        #expect(!session.cancel(id: "cancelled"))
    }
}
