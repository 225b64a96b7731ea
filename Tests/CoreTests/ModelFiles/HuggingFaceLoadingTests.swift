import Foundation
import Testing
@testable import Core

@Suite struct HuggingFaceLoadingTests {
    /// A writable copy of a fixture model directory, so tests can add or alter files.
    static func copy(_ fixture: String) throws -> TemporaryPath {
        let directory = TemporaryPath("-hf")
        try FileManager.default.copyItem(atPath: TestPaths.fixture(fixture), toPath: directory.path)
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory.path + "/" + file)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        return directory
    }

    /// A safetensors file holding F32 `tensors` (name, shape, values).
    static func safetensors(_ tensors: [(String, [Int], [Float])]) throws -> [UInt8] {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for (name, shape, values) in tensors {
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * values.count]]
            offset += 4 * values.count
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)
        return GGUFTestFile.le(UInt64(json.count)) + Array(json) + tensors.flatMap { $0.2.flatMap { GGUFTestFile.le($0.bitPattern) } }
    }

    @Test func tinyLlamaIsTiedWithoutBiases() throws {
        let path = TestPaths.fixture("tiny-llama")
        let model = try ModelLoader.load(path: path)
        let reference = try SafetensorsFile(path: path + "/model.safetensors")
        #expect(model.weights.config == ModelConfig(
            family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 176, layerCount: 4, headCount: 4,
            kvHeadCount: 2, headDim: 16, ropeTheta: 10000, rmsNormEps: 1e-5, contextLength: 256, tieWordEmbeddings: true))
        #expect(model.weights.outputHead == model.weights.embedding)
        #expect(model.weights.embedding.matrix.values == (try reference.floats("model.embed_tokens.weight")))
        let layer = model.weights.layers[3]
        #expect(layer.qProj.rows == 64 && layer.qProj.cols == 64)
        #expect(layer.kProj.rows == 32 && layer.vProj.rows == 32 && layer.oProj.cols == 64)
        #expect(layer.gateProj.rows == 176 && layer.downProj.cols == 176)
        #expect(layer.qBias == nil && layer.kBias == nil && layer.vBias == nil)
        #expect(layer.kProj.matrix.values == (try reference.floats("model.layers.3.self_attn.k_proj.weight")))
        #expect(model.weights.finalNorm == (try reference.floats("model.norm.weight")))
        #expect(model.tokenizer == nil && model.huggingFaceTokenizerJSON == nil && model.chatTemplate == nil)
        #expect(model.stopTokenIds == [2])
        #expect(model.contentSHA256 == SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors"))))
    }

    @Test func tinyQwen2HasAnOutputHeadAndBiases() throws {
        let path = TestPaths.fixture("tiny-qwen2")
        let model = try ModelLoader.load(path: path)
        let reference = try SafetensorsFile(path: path + "/model.safetensors")
        let config = model.weights.config
        #expect(config.family == .qwen2 && config.headDim == 16 && config.ropeTheta == 1_000_000 && config.rmsNormEps == 1e-6)
        #expect(!config.tieWordEmbeddings)
        #expect(model.weights.outputHead.matrix.values == (try reference.floats("lm_head.weight")))
        #expect(model.weights.outputHead != model.weights.embedding)
        for (index, layer) in model.weights.layers.enumerated() {
            #expect(layer.qBias == (try reference.floats("model.layers.\(index).self_attn.q_proj.bias")))
            #expect(layer.kBias == (try reference.floats("model.layers.\(index).self_attn.k_proj.bias")))
            #expect(layer.vBias == (try reference.floats("model.layers.\(index).self_attn.v_proj.bias")))
            #expect(layer.qBias?.count == 64 && layer.kBias?.count == 32)
        }
        #expect(model.weights.layers[0].postAttentionNorm == (try reference.floats("model.layers.0.post_attention_layernorm.weight")))
    }

    @Test func ropeThetaPrefersRopeParameters() throws {
        let directory = try Self.copy("tiny-llama")
        let configPath = directory.path + "/config.json"
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        config["rope_parameters"] = ["rope_theta": 500000.0, "rope_type": "default"]
        config["rope_theta"] = 10000.0
        config["head_dim"] = nil
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        var model = try ModelLoader.load(path: directory.path)
        #expect(model.weights.config.ropeTheta == 500000)
        #expect(model.weights.config.headDim == 16)

        config["rope_parameters"] = nil
        config["rope_theta"] = 20000.0
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        model = try ModelLoader.load(path: directory.path)
        #expect(model.weights.config.ropeTheta == 20000)

        config["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let error = #expect(throws: FileError.self) { try ModelLoader.load(path: directory.path) }
        #expect(error == FileError(path: configPath, problem: "rope_scaling type yarn is not supported (only default RoPE)"))
    }

    @Test func tokenizerChatTemplateAndGenerationFilesAreRead() throws {
        let directory = try Self.copy("tiny-qwen2")
        let tokenizerJSON = Array(#"{"model": {"type": "BPE"}}"#.utf8)
        try Data(tokenizerJSON).write(to: URL(fileURLWithPath: directory.path + "/tokenizer.json"))
        try Data(#"{"chat_template": "from tokenizer_config"}"#.utf8).write(to: URL(fileURLWithPath: directory.path + "/tokenizer_config.json"))
        try Data(#"{"eos_token_id": [7, 2, 7]}"#.utf8).write(to: URL(fileURLWithPath: directory.path + "/generation_config.json"))
        var model = try ModelLoader.load(path: directory.path)
        #expect(model.huggingFaceTokenizerJSON == tokenizerJSON)
        #expect(model.chatTemplate == "from tokenizer_config")
        #expect(model.stopTokenIds == [7, 2])

        try Data("{{ jinja }}\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/chat_template.jinja"))
        try Data(#"{"eos_token_id": 9}"#.utf8).write(to: URL(fileURLWithPath: directory.path + "/generation_config.json"))
        model = try ModelLoader.load(path: directory.path)
        #expect(model.chatTemplate == "{{ jinja }}\n")
        #expect(model.stopTokenIds == [9])
    }

    @Test func shardedDirectoryLoadsAndHashesShardsInOrder() throws {
        let source = try SafetensorsFile(path: TestPaths.fixture("tiny-qwen2/model.safetensors"))
        let names = source.tensorNames
        let directory = TemporaryPath("-sharded")
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.fixture("tiny-qwen2/config.json"), toPath: directory.path + "/config.json")
        let shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
        var weightMap: [String: String] = [:]
        var shardBytes: [[UInt8]] = []
        for (part, shardName) in shardNames.enumerated() {
            let members = names.enumerated().filter { $0.offset % 2 == part }.map(\.element)
            for name in members { weightMap[name] = shardName }
            shardBytes.append(try Self.safetensors(members.map { ($0, try source.info($0).shape, try source.floats($0)) }))
            try Data(shardBytes[part]).write(to: URL(fileURLWithPath: directory.path + "/" + shardName))
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: Any], "weight_map": weightMap])
        try index.write(to: URL(fileURLWithPath: directory.path + "/model.safetensors.index.json"))

        let sharded = try ModelLoader.load(path: directory.path)
        let single = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2"))
        #expect(sharded.weights == single.weights)
        #expect(sharded.contentSHA256 == SHA256.hex(shardBytes[0] + shardBytes[1]))

        try FileManager.default.removeItem(atPath: directory.path + "/" + shardNames[1])
        let error = #expect(throws: FileError.self) { try ModelLoader.load(path: directory.path) }
        #expect(error?.path == directory.path + "/" + shardNames[1])
    }

    @Test func missingOrMisshapenTensorsNameTheTensorAndFile() throws {
        let source = try SafetensorsFile(path: TestPaths.fixture("tiny-llama/model.safetensors"))
        let directory = try Self.copy("tiny-llama")
        let weightsPath = directory.path + "/model.safetensors"
        var tensors = try source.tensorNames.map { ($0, try source.info($0).shape, try source.floats($0)) }
        tensors.removeAll { $0.0 == "model.layers.2.mlp.up_proj.weight" }
        try Data(try Self.safetensors(tensors)).write(to: URL(fileURLWithPath: weightsPath))
        var error = #expect(throws: FileError.self) { try ModelLoader.load(path: directory.path) }
        #expect(error == FileError(path: directory.path, problem: "tensor model.layers.2.mlp.up_proj.weight (shape [176, 64]) is missing from model.safetensors"))

        tensors = try source.tensorNames.map { ($0, try source.info($0).shape, try source.floats($0)) }
        let norm = try #require(tensors.firstIndex { $0.0 == "model.norm.weight" })
        tensors[norm] = ("model.norm.weight", [8, 8], tensors[norm].2)
        try Data(try Self.safetensors(tensors)).write(to: URL(fileURLWithPath: weightsPath))
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: directory.path) }
        #expect(error == FileError(path: weightsPath, problem: "tensor model.norm.weight has shape [8, 8], expected [64] from config.json"))

        tensors[norm] = ("model.norm.weight", [64], tensors[norm].2)
        tensors.append(("model.layers.0.self_attn.o_proj.bias", [64], [Float](repeating: 0, count: 64)))
        try Data(try Self.safetensors(tensors)).write(to: URL(fileURLWithPath: weightsPath))
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: directory.path) }
        #expect(error == FileError(path: weightsPath, problem: "tensor model.layers.0.self_attn.o_proj.bias is not used by the llama architecture (1 unused in all)"))
    }

    @Test func pathsThatAreNeitherGiveErrors() throws {
        var error = #expect(throws: FileError.self) { try ModelLoader.load(path: "/nonexistent/model") }
        #expect(error == FileError(path: "/nonexistent/model", problem: "no such file or directory"))
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: TestPaths.fixture("sequences.json")) }
        #expect(error?.problem.contains("not a GGUF file") == true)
        let empty = TemporaryPath("-empty")
        try FileManager.default.createDirectory(atPath: empty.path, withIntermediateDirectories: true)
        error = #expect(throws: FileError.self) { try ModelLoader.load(path: empty.path) }
        #expect(error?.path == empty.path + "/config.json")
    }
}
