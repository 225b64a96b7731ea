import Foundation
import Testing
@testable import Core

/// Loads the whole SmolLM2 GGUF (dequantises 135M weights); about 5 s in debug, 1 s in release.
@Suite(.serialized) struct SmolLM2LoadingTests {
    static let samples = TestPaths.fixture("smollm2/dequant-samples.safetensors")

    @Test func loadsTheModelFastWithTheConfigTokenizerAndHash() throws {
        let start = Date()
        let model = try ModelLoader.load(path: TestPaths.smolLM2)
        let seconds = Date().timeIntervalSince(start)
        #if DEBUG
        let limit = 30.0  // unoptimised decode loops; the 2 s budget is for release builds
        #else
        let limit = 2.0
        #endif
        #expect(seconds < limit, "load took \(seconds) s")
        #expect(model.contentSHA256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        #expect(model.weights.config == ModelConfig(
            family: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
            headCount: 9, kvHeadCount: 3, headDim: 64, ropeTheta: 100000, rmsNormEps: Float(9.999999747378752e-06),
            contextLength: 8192, tieWordEmbeddings: true))
        #expect(model.weights.layers.count == 30)
        #expect(model.weights.outputHead == model.weights.embedding)
        #expect(model.weights.layers.allSatisfy { $0.qBias == nil && $0.kBias == nil && $0.vBias == nil })
        #expect(model.stopTokenIds == [2])
        #expect(model.huggingFaceTokenizerJSON == nil)
        let tokenizer = try #require(model.tokenizer)
        #expect(tokenizer.tokens.count == 49152 && tokenizer.merges.count == 48900)
        #expect(tokenizer.specialTokenIds == Array(0...16))
        #expect(tokenizer.preTokenizer == .smollm)
        #expect(tokenizer.bosTokenId == 1 && tokenizer.eosTokenId == 2 && !tokenizer.addBOS)
        #expect(Array(tokenizer.tokens.suffix(5)) == ["Lif", "omia", "Ġexfol", "ĠMama", "ectable"])
        #expect(Array(tokenizer.merges.prefix(3)) == ["Ġ t", "Ġ a", "i n"])
        #expect(model.chatTemplate == """
            {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
            ' + message['content'] + '<|im_end|>' + '
            '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
            ' }}{% endif %}
            """)
    }

    @Test func dequantisedWeightsAreBitExact() throws {
        let samples = try SafetensorsFile(path: Self.samples)
        let weights = try ModelLoader.load(path: TestPaths.smolLM2).weights
        func rows(_ matrix: Matrix, _ range: Range<Int>) -> [Float] {
            Array(matrix.values[(range.lowerBound * matrix.cols)..<(range.upperBound * matrix.cols)])
        }
        let embeddingRows = [0, 1, 2, 17, 1000, 49151].flatMap { rows(weights.embedding.matrix, $0..<($0 + 1)) }
        #expect(embeddingRows == (try samples.floats("gguf/token_embd.weight/rows")))
        let layer = weights.layers[0]
        #expect(rows(layer.qProj.matrix, 0..<128) == (try samples.floats("hf/model.layers.0.self_attn.q_proj.weight/rows_0_127")))
        #expect(layer.kProj.matrix.values == (try samples.floats("hf/model.layers.0.self_attn.k_proj.weight")))
        #expect(rows(layer.downProj.matrix, 0..<4) == (try samples.floats("gguf/blk.0.ffn_down.weight/rows_0_3")))
        #expect(layer.inputNorm == (try samples.floats("gguf/blk.0.attn_norm.weight")))
        #expect(weights.finalNorm == (try samples.floats("gguf/output_norm.weight")))
        // Byte-identical embedding rows (README) dequantise to identical rows.
        #expect(rows(weights.embedding.matrix, 7..<8) == rows(weights.embedding.matrix, 45175..<45176))
    }

    @Test func ggufOrderTensorsMatchGGUFPy() throws {
        let samples = try SafetensorsFile(path: Self.samples)
        let gguf = try GGUFFile(path: TestPaths.smolLM2)
        let q = try gguf.floats("blk.0.attn_q.weight")
        #expect(Array(q.prefix(128 * 576)) == (try samples.floats("gguf/blk.0.attn_q.weight/rows_0_127")))
        #expect(try gguf.floats("blk.0.attn_k.weight") == (try samples.floats("gguf/blk.0.attn_k.weight")))
        // GGUF order differs from HF order (the permutation is not the identity).
        #expect(Array(q.prefix(128 * 576)) != (try samples.floats("hf/model.layers.0.self_attn.q_proj.weight/rows_0_127")))
    }
}
