import Foundation
import Testing
@testable import Core

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "realign-inra-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("InRa expansion to a Hugging Face directory")
struct InRaExpansionTests {
    @Test("Expanding tiny-qwen2 reproduces the fixture's tiny-qwen2-inra model.safetensors byte for byte")
    func reproducesFixture() throws {
        let source = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2"))
        let out = try TemporaryDirectory()
        let written = try InRaExpansion.expand(source, into: out.path)
        #expect(written == [out.file("model.safetensors"), out.file("config.json")])
        let mine = try SafetensorsFile(path: out.file("model.safetensors"))
        let fixture = try SafetensorsFile(path: TestPaths.fixture("tiny-qwen2-inra/model.safetensors"))
        #expect(mine.tensorNames == fixture.tensorNames)
        for name in fixture.tensorNames {
            #expect(mine.tensors[name]?.shape == fixture.tensors[name]?.shape, "\(name) shape")
            #expect(try mine.floats(name) == fixture.floats(name), "\(name) values")
        }
        #expect(mine.metadata == ["format": "pt"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out.file("model.safetensors")))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("tiny-qwen2-inra/model.safetensors")))))
    }

    @Test("config.json: one more layer, layer_types grown, realign_inra recorded, everything else kept")
    func configuration() throws {
        let source = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2"))
        let out = try TemporaryDirectory()
        try InRaExpansion.expand(source, into: out.path)
        let config = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out.file("config.json")))))
        let original = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("tiny-qwen2/config.json")))))
        #expect(config["num_hidden_layers"] == .integer(5))
        #expect(config["layer_types"] == .array(Array(repeating: .string("full_attention"), count: 5)))
        #expect(config["realign_inra"] == .object([JSONMember("adapter_layer", .integer(0)), JSONMember("base_layers", .integer(4))]))
        #expect(config["dtype"] == .string("float32"))
        let changed: Set<String> = ["num_hidden_layers", "layer_types", "realign_inra"]
        for member in try #require(original.objectMembers) where !changed.contains(member.key) {
            #expect(config[member.key] == member.value, "\(member.key)")
        }
        #expect(try InRaModel.declaredAdapterLayer(directory: out.path) == 0)
        #expect(try InRaModel.declaredAdapterLayer(directory: TestPaths.fixture("tiny-qwen2-inra")) == nil)
    }

    @Test("The expanded directory loads as an InRa model whose every lambda gives the original logits", arguments: ["tiny-qwen2", "tiny-llama"])
    func expandedLoadsAndMatches(model: String) throws {
        let source = try ModelLoader.load(path: TestPaths.fixture(model))
        let out = try TemporaryDirectory()
        try InRaExpansion.expand(source, into: out.path)
        let loaded = try InRaModel.load(path: out.path)
        #expect(loaded.model.baseLayerCount == 4)
        #expect(loaded.file.weights == InRaExpansion.expandedWeights(source.weights))
        let hasHead = try SafetensorsFile(path: out.file("model.safetensors")).tensors["lm_head.weight"] != nil
        #expect(hasHead == !source.weights.config.tieWordEmbeddings)
        let original = Transformer(weights: source.weights)
        let ids = try #require(try TinyModelFixture.sequences()["B"])
        let expected = original.logits(sequences: [ids], rows: [0..<ids.count])[0].values
        for lambda: Float in [0, 0.5, 1, 2, -1] {
            let logits = loaded.model.logits(sequences: [ids], rows: [0..<ids.count], lambda: lambda)[0].values
            #expect(maxAbsDifference(logits, expected) <= 1e-5, "lambda \(lambda)")
        }
    }

    @Test("BF16 and F16 expansions store each weight rounded to nearest even", arguments: [SafetensorsDType.bf16, .f16])
    func halfPrecision(dtype: SafetensorsDType) throws {
        let source = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2"))
        let out = try TemporaryDirectory()
        try InRaExpansion.expand(source, into: out.path, dtype: dtype)
        let file = try SafetensorsFile(path: out.file("model.safetensors"))
        #expect(file.tensors.values.allSatisfy { $0.dtype == dtype })
        let original = source.weights.layers[2].gateProj.matrix.values
        let rounded = original.map { value -> Float in
            dtype == .f16 ? Float(Float16(value)) : Float(bitPattern: UInt32(SafetensorsWriter.bfloat16Bits(value)) << 16)
        }
        #expect(try file.floats("model.layers.3.mlp.gate_proj.weight") == rounded)
        let config = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out.file("config.json")))))
        #expect(config["dtype"] == .string(dtype == .f16 ? "float16" : "bfloat16"))
        #expect(try InRaModel.load(path: out.path).model.baseLayerCount == 4)
    }

    @Test("bfloat16 rounding: ties to even, NaN quiet")
    func bfloat16Rounding() {
        #expect(SafetensorsWriter.bfloat16Bits(1) == 0x3F80)
        #expect(SafetensorsWriter.bfloat16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        #expect(SafetensorsWriter.bfloat16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(SafetensorsWriter.bfloat16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(SafetensorsWriter.bfloat16Bits(-2) == 0xC000)
        #expect(SafetensorsWriter.bfloat16Bits(.nan) == 0x7FC0)
    }

    @Test("Adapter only: one layer file that serves next to the base model")
    func adapterOnly() throws {
        let source = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2"))
        let out = try TemporaryDirectory()
        let written = try InRaExpansion.expand(source, into: out.path, adapterOnly: true)
        #expect(written == [out.file("adapter.safetensors")])
        let file = try SafetensorsFile(path: out.file("adapter.safetensors"))
        #expect(file.tensorNames.count == 12 && file.tensorNames.allSatisfy { $0.hasPrefix("model.layers.0.") })
        #expect(file.metadata["realign_inra_base_layers"] == "4")
        #expect(file.metadata["realign_inra_base_sha256"] == source.contentSHA256)
        #expect(try file.floats("model.layers.0.self_attn.o_proj.weight").allSatisfy { $0 == 0 })

        let served = try InRaModel.load(path: TestPaths.fixture("tiny-qwen2"), adapter: out.file("adapter.safetensors"))
        #expect(served.model.transformer.weights == (try TinyModelFixture.weights("tiny-qwen2-inra")))
        #expect(throws: FileError.self) {
            try InRaModel.load(path: TestPaths.fixture("tiny-llama"), adapter: out.file("adapter.safetensors"))
        }
        do {
            _ = try InRaModel.load(path: TestPaths.fixture("tiny-llama"), adapter: out.file("adapter.safetensors"))
        } catch {
            #expect(error.problem == "tensor model.layers.0.self_attn.k_proj.bias is not part of a llama adapter layer")
        }
    }

    @Test("A directory without realign_inra needs an adapter file")
    func undeclaredAdapter() throws {
        #expect(throws: FileError(path: TestPaths.fixture("tiny-qwen2"), problem: "config.json declares no realign_inra adapter (and no adapter file was given)")) {
            try InRaModel.load(path: TestPaths.fixture("tiny-qwen2"))
        }
    }

    @Test("A GGUF tokenizer written as tokenizer.json reads back to the same spec, special tokens in the vocabulary", arguments: [TokenizerSpec.PreTokenizer.smollm, .gpt2, .qwen2])
    func tokenizerJSONRoundTrip(preTokenizer: TokenizerSpec.PreTokenizer) throws {
        let tokens = (0..<256).map { String(ByteLevelAlphabet.characterForByte[$0]) } + ["ĠĠ", "he", "<|im_start|>", "<|im_end|>"]
        let spec = TokenizerSpec(
            tokens: tokens, merges: ["Ġ Ġ", "h e"], specialTokenIds: [258, 259], preTokenizer: preTokenizer,
            bosTokenId: 258, eosTokenId: 259, addBOS: false)
        let files = try HuggingFaceTokenizerFiles.from(spec: spec, chatTemplate: nil, contextLength: 64).files
        let json = try #require(files["tokenizer.json"])
        #expect(try TokenizerSpec(huggingFaceTokenizerJSON: json, tokenizerConfigJSON: files["tokenizer_config.json"]) == spec)
        // The Hugging Face tokenizers library numbers an added token that is missing from
        // the BPE vocabulary after the vocabulary, so special tokens must be in both.
        let vocab = try #require(try JSONParser.parse(json)["model"]?["vocab"])
        #expect(vocab["<|im_start|>"] == .integer(258))
        #expect(vocab["<|im_end|>"] == .integer(259))
    }
}
