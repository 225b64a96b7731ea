import Foundation
import Testing
@testable import Core

/// Tiny synthetic GGUF models: hidden 8, 2 heads of 4, 1 kv head, ff 12, vocab 6, 1 layer.
@Suite struct GGUFModelWeightsTests {
    /// Distinct values per tensor and position, so any misplaced row shows.
    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(seed * 1000 + $0) }
    }

    static func tinyModel(architecture: String, biases: Bool, tiedOutput: Bool = true, pre: String = "qwen2") -> GGUFTestFile {
        var file = GGUFTestFile()
        file.add("general.architecture", .string(architecture))
        for (key, value) in [("block_count", 1), ("embedding_length", 8), ("feed_forward_length", 12),
                             ("attention.head_count", 2), ("attention.head_count_kv", 1), ("context_length", 32)] {
            file.add("\(architecture).\(key)", .uint32(UInt32(value)))
        }
        file.add("\(architecture).rope.freq_base", .float32(1_000_000))
        file.add("\(architecture).attention.layer_norm_rms_epsilon", .float32(1e-6))
        file.add("tokenizer.ggml.model", .string("gpt2"))
        file.add("tokenizer.ggml.pre", .string(pre))
        file.add("tokenizer.ggml.tokens", .array(elementType: .string, values: ["a", "b", "ab", "<s>", "</s>", "<x>"].map { .string($0) }))
        file.add("tokenizer.ggml.merges", .array(elementType: .string, values: [.string("a b")]))
        file.add("tokenizer.ggml.token_type", .array(elementType: .int32, values: [1, 1, 1, 3, 3, 4].map { .int32($0) }))
        file.add("tokenizer.ggml.bos_token_id", .uint32(3))
        file.add("tokenizer.ggml.eos_token_id", .uint32(4))
        file.add("tokenizer.ggml.eot_token_id", .uint32(5))
        file.add("tokenizer.ggml.add_bos_token", .bool(true))
        file.add("tokenizer.chat_template", .string("{{ messages }}"))
        file.addF32("token_embd.weight", dimensions: [8, 6], values: values(48, seed: 1))
        file.addF32("blk.0.attn_norm.weight", dimensions: [8], values: values(8, seed: 2))
        file.addF32("blk.0.attn_q.weight", dimensions: [8, 8], values: values(64, seed: 3))
        file.addF32("blk.0.attn_k.weight", dimensions: [8, 4], values: values(32, seed: 4))
        file.addF32("blk.0.attn_v.weight", dimensions: [8, 4], values: values(32, seed: 5))
        file.addF32("blk.0.attn_output.weight", dimensions: [8, 8], values: values(64, seed: 6))
        if biases {
            file.addF32("blk.0.attn_q.bias", dimensions: [8], values: values(8, seed: 7))
            file.addF32("blk.0.attn_k.bias", dimensions: [4], values: values(4, seed: 8))
            file.addF32("blk.0.attn_v.bias", dimensions: [4], values: values(4, seed: 9))
        }
        file.addF32("blk.0.ffn_norm.weight", dimensions: [8], values: values(8, seed: 10))
        file.addF32("blk.0.ffn_gate.weight", dimensions: [8, 12], values: values(96, seed: 11))
        file.addF32("blk.0.ffn_up.weight", dimensions: [8, 12], values: values(96, seed: 12))
        file.addF32("blk.0.ffn_down.weight", dimensions: [12, 8], values: values(96, seed: 13))
        file.addF32("output_norm.weight", dimensions: [8], values: values(8, seed: 14))
        if !tiedOutput { file.addF32("output.weight", dimensions: [8, 6], values: values(48, seed: 15)) }
        return file
    }

    /// Rows of a `[rows, cols]` matrix reordered so that output row `order[r]` is input row `r`.
    static func scatterRows(_ values: [Float], cols: Int, order: (Int) -> Int) -> [Float] {
        var result = values
        for row in 0..<(values.count / cols) {
            let target = order(row)
            result.replaceSubrange((target * cols)..<((target + 1) * cols), with: values[(row * cols)..<((row + 1) * cols)])
        }
        return result
    }

    @Test func qwen2FileKeepsRowOrderAndLoadsBiases() throws {
        let temporary = TemporaryPath(".gguf")
        let path = try temporary.write(Self.tinyModel(architecture: "qwen2", biases: true, tiedOutput: false).bytes)
        let model = try ModelLoader.load(path: path)
        let weights = model.weights
        #expect(weights.config == ModelConfig(
            family: .qwen2, vocabSize: 6, hiddenSize: 8, intermediateSize: 12, layerCount: 1, headCount: 2,
            kvHeadCount: 1, headDim: 4, ropeTheta: 1_000_000, rmsNormEps: 1e-6, contextLength: 32, tieWordEmbeddings: false))
        let layer = try #require(weights.layers.first)
        #expect(layer.qProj.matrix == Matrix(rows: 8, cols: 8, values: Self.values(64, seed: 3)))
        #expect(layer.kProj.matrix == Matrix(rows: 4, cols: 8, values: Self.values(32, seed: 4)))
        #expect(layer.qBias == Self.values(8, seed: 7))
        #expect(layer.kBias == Self.values(4, seed: 8))
        #expect(layer.vBias == Self.values(4, seed: 9))
        #expect(layer.downProj.matrix == Matrix(rows: 8, cols: 12, values: Self.values(96, seed: 13)))
        #expect(layer.gateProj.matrix == Matrix(rows: 12, cols: 8, values: Self.values(96, seed: 11)))
        #expect(weights.outputHead.matrix == Matrix(rows: 6, cols: 8, values: Self.values(48, seed: 15)))
        #expect(weights.embedding.matrix == Matrix(rows: 6, cols: 8, values: Self.values(48, seed: 1)))
        #expect(model.stopTokenIds == [4, 5])
        #expect(model.chatTemplate == "{{ messages }}")
        #expect(model.contentSHA256 == SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: path))))
        let tokenizer = try #require(model.tokenizer)
        #expect(tokenizer == TokenizerSpec(
            tokens: ["a", "b", "ab", "<s>", "</s>", "<x>"], merges: ["a b"], specialTokenIds: [3, 4, 5],
            preTokenizer: .qwen2, bosTokenId: 3, eosTokenId: 4, addBOS: true))
    }

    @Test func llamaFileIsUnpermutedToHuggingFaceOrderAndTied() throws {
        let temporary = TemporaryPath(".gguf")
        let model = try ModelLoader.load(path: try temporary.write(Self.tinyModel(architecture: "llama", biases: true).bytes))
        let layer = try #require(model.weights.layers.first)
        // head_dim 4: GGUF rows (0,1,2,3) of each head are HF rows (0,2,1,3).
        let order = { (row: Int) in row / 4 * 4 + [0, 2, 1, 3][row % 4] }
        #expect(layer.qProj.matrix.values == Self.scatterRows(Self.values(64, seed: 3), cols: 8, order: order))
        #expect(layer.kProj.matrix.values == Self.scatterRows(Self.values(32, seed: 4), cols: 8, order: order))
        #expect(layer.qBias == Self.scatterRows(Self.values(8, seed: 7), cols: 1, order: order))
        #expect(layer.vProj.matrix.values == Self.values(32, seed: 5))
        #expect(layer.vBias == Self.values(4, seed: 9))
        #expect(model.weights.config.tieWordEmbeddings)
        #expect(model.weights.outputHead == model.weights.embedding)
    }

    @Test func unpermuteFormulaMatchesTheFixtureReadme() {
        // HF row h*64 + j*32 + i = GGUF row h*64 + 2i + j.
        for h in 0..<3 { for j in 0..<2 { for i in 0..<32 {
            #expect(LlamaRowPermutation.huggingFaceRow(ofGGUFRow: h * 64 + 2 * i + j, headDim: 64) == h * 64 + j * 32 + i)
        } } }
    }

    @Test func missingMisshapenAndUnexpectedTensorsAreErrors() throws {
        let temporary = TemporaryPath(".gguf")
        var file = Self.tinyModel(architecture: "qwen2", biases: false)
        var error = #expect(throws: FileError.self) { try ModelLoader.load(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "tensor blk.0.attn_q.bias is missing (expected ne [8])")

        file = Self.tinyModel(architecture: "llama", biases: false)
        let gate = try #require(file.tensors.firstIndex { $0.name == "blk.0.ffn_gate.weight" })
        file.tensors[gate].dimensions = [12, 8]
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "tensor blk.0.ffn_gate.weight has ne [12, 8], expected [8, 12] for this llama configuration")

        file = Self.tinyModel(architecture: "llama", biases: false)
        file.addF32("rope_freqs.weight", dimensions: [2], values: [1, 1])
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "tensor rope_freqs.weight is not used by the llama architecture (1 unused in all)")

        file = Self.tinyModel(architecture: "gemma", biases: false)
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "architecture gemma is not supported (only llama and qwen2)")
    }

    @Test func quantisedTypeWithoutDecoderIsRejected() throws {
        let temporary = TemporaryPath(".gguf")
        var file = Self.tinyModel(architecture: "llama", biases: false)
        let norm = try #require(file.tensors.firstIndex { $0.name == "output_norm.weight" })
        file.tensors[norm] = .init(name: "output_norm.weight", type: .q6_K, dimensions: [256], data: [UInt8](repeating: 0, count: 210))
        file.metadata = file.metadata.map { $0.key == "llama.embedding_length" ? ($0.key, .uint32(256)) : $0 }
        let error = #expect(throws: FileError.self) { try ModelLoader.load(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "tensor token_embd.weight has ne [8, 6], expected [256, 6] for this llama configuration")
        let gguf = try GGUFFile(path: temporary.path)
        let decodeError = #expect(throws: FileError.self) { try gguf.floats("output_norm.weight") }
        #expect(decodeError?.problem == "tensor output_norm.weight has type Q6_K, which cannot be dequantised (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
    }

    @Test func preTokenizerNamesMapAndUnknownOnesAreErrors() throws {
        let temporary = TemporaryPath(".gguf")
        for (name, expected) in [("smollm", TokenizerSpec.PreTokenizer.smollm), ("qwen2", .qwen2),
                                 ("deepseek-r1-qwen", .qwen2), ("gpt2", .gpt2), ("default", .gpt2)] {
            let gguf = try GGUFFile(path: try temporary.write(Self.tinyModel(architecture: "llama", biases: false, pre: name).bytes))
            #expect(try TokenizerSpec(gguf: gguf).preTokenizer == expected, "\(name)")
        }
        let gguf = try GGUFFile(path: try temporary.write(Self.tinyModel(architecture: "llama", biases: false, pre: "llama-bpe").bytes))
        let error = #expect(throws: FileError.self) { try TokenizerSpec(gguf: gguf) }
        #expect(error?.problem == "tokenizer.ggml.pre llama-bpe is not supported (smollm, qwen2, deepseek-r1-qwen, gpt2, default)")
    }
}
