import Foundation
@testable import Core

/// Test support: reads a tiny Hugging Face model directory of the fixtures
/// (`config.json` + one `model.safetensors`) into `ModelWeights`, and the shared
/// sequences and golden files the forward and fusion tests compare against.
enum TinyModelFixture {
    struct ConfigError: Error, CustomStringConvertible {
        var path: String
        var field: String
        var description: String { "\(path): missing or malformed \(field)" }
    }

    static func weights(_ directory: String) throws -> ModelWeights {
        let root = TestPaths.fixture(directory)
        let configPath = root + "/config.json"
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath)))
        guard let object = json as? [String: Any] else { throw ConfigError(path: configPath, field: "top-level object") }
        func int(_ key: String) throws -> Int {
            guard let value = object[key] as? Int else { throw ConfigError(path: configPath, field: key) }
            return value
        }
        let ropeTheta = ((object["rope_parameters"] as? [String: Any])?["rope_theta"] as? Double)
            ?? (object["rope_theta"] as? Double)
        guard let ropeTheta else { throw ConfigError(path: configPath, field: "rope_theta") }
        guard let eps = object["rms_norm_eps"] as? Double else { throw ConfigError(path: configPath, field: "rms_norm_eps") }
        guard let modelType = object["model_type"] as? String, let family = ModelFamily(rawValue: modelType) else {
            throw ConfigError(path: configPath, field: "model_type")
        }
        let hidden = try int("hidden_size")
        let heads = try int("num_attention_heads")
        let tied = object["tie_word_embeddings"] as? Bool ?? false
        let config = ModelConfig(
            family: family, vocabSize: try int("vocab_size"), hiddenSize: hidden,
            intermediateSize: try int("intermediate_size"), layerCount: try int("num_hidden_layers"),
            headCount: heads, kvHeadCount: try int("num_key_value_heads"),
            headDim: (object["head_dim"] as? Int) ?? hidden / heads,
            ropeTheta: ropeTheta, rmsNormEps: Float(eps),
            contextLength: try int("max_position_embeddings"), tieWordEmbeddings: tied)

        let file = try SafetensorsFile(path: root + "/model.safetensors")
        func matrix(_ name: String) throws -> Matrix {
            let shape = try file.info(name).shape
            return Matrix(rows: shape[0], cols: shape[1], values: try file.floats(name))
        }
        func optional(_ name: String) throws -> [Float]? {
            file.tensors[name] == nil ? nil : try file.floats(name)
        }
        let layers = try (0..<config.layerCount).map { i in
            let p = "model.layers.\(i)."
            return LayerWeights(
                inputNorm: try file.floats(p + "input_layernorm.weight"),
                qProj: try matrix(p + "self_attn.q_proj.weight"),
                kProj: try matrix(p + "self_attn.k_proj.weight"),
                vProj: try matrix(p + "self_attn.v_proj.weight"),
                oProj: try matrix(p + "self_attn.o_proj.weight"),
                qBias: try optional(p + "self_attn.q_proj.bias"),
                kBias: try optional(p + "self_attn.k_proj.bias"),
                vBias: try optional(p + "self_attn.v_proj.bias"),
                postAttentionNorm: try file.floats(p + "post_attention_layernorm.weight"),
                gateProj: try matrix(p + "mlp.gate_proj.weight"),
                upProj: try matrix(p + "mlp.up_proj.weight"),
                downProj: try matrix(p + "mlp.down_proj.weight"))
        }
        let embedding = try matrix("model.embed_tokens.weight")
        return ModelWeights(
            config: config, embedding: embedding, layers: layers,
            finalNorm: try file.floats("model.norm.weight"),
            outputHead: tied ? embedding : try matrix("lm_head.weight"))
    }

    /// The token sequences `A`, `B`, `C` of `sequences.json`.
    static func sequences() throws -> [String: [Int32]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("sequences.json")))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: [Int]] ?? [:]
        return object.mapValues { $0.map(Int32.init) }
    }

    static let sequenceNames = ["A", "B", "C"]

    static func golden(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: TestPaths.fixture("goldens/" + name))
    }
}

/// The largest absolute element-wise difference of two equally long arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
