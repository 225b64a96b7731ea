import Foundation
import Testing
@testable import Core

/// The SmolLM2 GGUF as a model file, loaded once for the suites below.
enum SmolLM2ModelFile {
    static let file: Result<ModelFile, FileError> = Result { () throws(FileError) -> ModelFile in
        try ModelLoader.load(path: TestPaths.smolLM2)
    }

    struct Greedy {
        var name: String
        var promptIds: [Int32]
        var generatedIds: [Int32]
        var generatedText: String
    }

    static func greedy() throws -> [Greedy] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("smollm2/logits-goldens.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(object["greedy"] as? [[String: Any]]).map {
            Greedy(name: try #require($0["name"] as? String),
                   promptIds: try #require($0["prompt_ids"] as? [Int]).map(Int32.init),
                   generatedIds: try #require($0["generated_ids"] as? [Int]).map(Int32.init),
                   generatedText: try #require($0["generated_text"] as? String))
        }
    }
}

/// Heavy: run in release (`swift test -c release --disable-xctest --filter SmolLM2Generation`).
@Suite("SmolLM2Generation: KV-cache decoding and InRa on the real model", .serialized)
struct SmolLM2GenerationTests {
    @Test("Greedy goldens with the KV cache, both prompts in one batch, exact ids and text")
    func greedyGoldens() throws {
        let file = try SmolLM2ModelFile.file.get()
        let tokenizer = try Tokenizer(spec: try #require(file.tokenizer))
        let session = DecodeSession(model: .plain(Transformer(weights: file.weights)), tokenizer: tokenizer)
        let goldens = try SmolLM2ModelFile.greedy()
        #expect(goldens.count == 2)
        for golden in goldens {
            try session.add(GenerationRequest(id: golden.name, promptIds: golden.promptIds, maxTokens: 16))
        }
        for (golden, result) in zip(goldens, session.runToCompletion()) {
            #expect(result.tokenIds == golden.generatedIds, "\(golden.name)")
            #expect(result.text == golden.generatedText, "\(golden.name)")
            #expect(result.finishReason == .length)
        }
    }

    @Test("Identity adapter on SmolLM2: every lambda, batched together, generates what the original does")
    func identityAdapterAnyLambda() throws {
        let file = try SmolLM2ModelFile.file.get()
        let model = InRaModel(base: file.weights, adapter: InRaAdapter.identity(copying: file.weights.layers[0]))
        let goldens = try SmolLM2ModelFile.greedy()
        let session = DecodeSession(model: .inra(model))
        let lambdas: [Float] = [0, 0.5, 1, 2, -1]
        for golden in goldens {
            for lambda in lambdas {
                try session.add(GenerationRequest(id: "\(golden.name) \(lambda)", promptIds: golden.promptIds, lambda: lambda, maxTokens: 16))
            }
        }
        let results = session.runToCompletion()
        for (g, golden) in goldens.enumerated() {
            for (l, lambda) in lambdas.enumerated() {
                #expect(results[g * lambdas.count + l].tokenIds == golden.generatedIds, "\(golden.name) lambda \(lambda)")
            }
        }
    }

    @Test("Expanding the GGUF writes a directory that loads with the same tokenizer and generates the goldens")
    func expandGGUF() throws {
        let file = try SmolLM2ModelFile.file.get()
        let out = try TemporaryDirectory()
        try InRaExpansion.expand(file, into: out.path)
        let loaded = try InRaModel.load(path: out.path)
        #expect(loaded.model.baseLayerCount == 30)
        #expect(loaded.file.chatTemplate == file.chatTemplate)
        #expect(loaded.file.stopTokenIds == [2])
        let original = try ServedModel(name: "gguf", file: file)
        let expanded = try ServedModel(name: "expanded", file: loaded.file)
        #expect(expanded.tokenizer.spec == original.tokenizer.spec)
        #expect(expanded.endOfTurnTokenID == 2)
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("smollm2/tokenizer-goldens.json")))) as? [String: Any]
        for entry in try #require(cases?["cases"] as? [[String: Any]]) {
            let text = try #require(entry["text"] as? String)
            #expect(expanded.tokenizer.encode(text) == original.tokenizer.encode(text), "\(entry["name"] ?? "")")
        }
        let golden = try SmolLM2ModelFile.greedy()[0]
        let session = DecodeSession(model: .inra(loaded.model), tokenizer: expanded.tokenizer)
        try session.add(GenerationRequest(id: "a", promptIds: golden.promptIds, lambda: 1, maxTokens: 16))
        try session.add(GenerationRequest(id: "b", promptIds: golden.promptIds, lambda: 0.3, maxTokens: 16))
        for result in session.runToCompletion() {
            #expect(result.tokenIds == golden.generatedIds && result.text == golden.generatedText, "\(result.id)")
        }
    }
}

/// Decode throughput; opt in with `REALIGN_BENCHMARK=1` (release build).
@Suite("SmolLM2Generation throughput", .serialized, .enabled(if: ProcessInfo.processInfo.environment["REALIGN_BENCHMARK"] == "1"))
struct SmolLM2DecodeThroughputTests {
    /// Generated tokens per second over `steps` decode steps after the prefill (best of three: the machine is shared).
    static func tokensPerSecond(_ model: DecodingModel, prompt: [Int32], batch: Int, lambda: Float, steps: Int) throws -> Double {
        let clock = ContinuousClock()
        var best = Duration.seconds(1_000_000)
        for _ in 0..<3 {
            let session = DecodeSession(model: model)
            for i in 0..<batch {
                try session.add(GenerationRequest(id: "\(i)", promptIds: prompt, lambda: lambda, maxTokens: steps + 1))
            }
            _ = session.step()
            best = min(best, clock.measure { for _ in 0..<steps { _ = session.step() } })
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        return Double(batch * steps) / seconds
    }

    @Test("Tokens per second: plain and InRa, batch 1 and 4, on 1 and 2 threads")
    func decodeThroughput() throws {
        let file = try SmolLM2ModelFile.file.get()
        let plain = DecodingModel.plain(Transformer(weights: file.weights))
        let inra = DecodingModel.inra(InRaModel(base: file.weights, adapter: InRaAdapter.identity(copying: file.weights.layers[0])))
        let prompt = try SmolLM2ModelFile.greedy()[1].promptIds
        var lines: [String] = []
        for threads in [1, 2] {
            ComputeThreads.set(threads)
            for batch in [1, 4] {
                let p = try Self.tokensPerSecond(plain, prompt: prompt, batch: batch, lambda: 1, steps: 32)
                let i = try Self.tokensPerSecond(inra, prompt: prompt, batch: batch, lambda: 0.5, steps: 32)
                #expect(p > 0 && i > 0)
                lines.append("threads \(threads), batch \(batch): plain \(String(format: "%.1f", p)) tokens/s, InRa (lambda 0.5, two streams) \(String(format: "%.1f", i)) tokens/s")
            }
        }
        print("SmolLM2 decode throughput (prompt \(prompt.count) tokens, 32 steps):\n" + lines.joined(separator: "\n"))
    }
}
