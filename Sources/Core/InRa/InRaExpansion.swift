import Foundation

/// Writes an InRa model as a Hugging Face directory that transformers loads as an
/// ordinary model (the aligned stream): `num_hidden_layers + 1` layers, layer 0 the
/// identity adapter, layers `1...N` the base's, per-layer config lists (`layer_types`)
/// grown to match, and `realign_inra: {"adapter_layer": 0, "base_layers": N}` in
/// `config.json`. The tokenizer, chat template and generation config come along: copied
/// from a Hugging Face source; for a GGUF source written from its metadata
/// (`tokenizer.json`, `tokenizer_config.json` with the chat template, and
/// `generation_config.json`).
public enum InRaExpansion {
    public static let adapterFileName = "adapter.safetensors"
    static let weightsFileName = "model.safetensors"
    /// Files of a Hugging Face directory carried over unchanged.
    static let carriedFiles = [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "merges.txt", "chat_template.jinja", "generation_config.json",
    ]

    /// The base model's layers with the identity adapter in front.
    public static func expandedWeights(_ base: ModelWeights) -> ModelWeights {
        var expanded = base
        expanded.layers.insert(InRaAdapter.identity(copying: base.layers[0]), at: InRaModel.adapterLayer)
        expanded.config.layerCount += 1
        return expanded
    }

    /// Writes the expanded model of `model` into `directory` (created if missing) with
    /// weights as `dtype` (F32, BF16 or F16). With `adapterOnly`, writes only
    /// `adapter.safetensors`: the adapter layer, for serving next to the base model.
    /// Returns the paths written.
    @discardableResult
    public static func expand(
        _ model: ModelFile, into directory: String, dtype: SafetensorsDType = .f32, adapterOnly: Bool = false
    ) throws(ExpansionError) -> [String] {
        guard [.f32, .f16, .bf16].contains(dtype) else {
            throw ExpansionError(path: directory, problem: "dtype \(dtype.rawValue) is not one of F32, BF16, F16")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ExpansionError(path: directory, problem: "cannot create the directory: \(error.localizedDescription)")
        }
        let base = model.weights
        let adapter = InRaAdapter.identity(copying: base.layers[0])
        if adapterOnly {
            var writer = SafetensorsWriter(metadata: [
                "format": "pt",
                "realign_inra_adapter_layer": String(InRaModel.adapterLayer),
                "realign_inra_base_layers": String(base.config.layerCount),
                "realign_inra_base_sha256": model.contentSHA256,
            ])
            let path = join(directory, adapterFileName)
            try add(adapter.huggingFaceTensors(prefix: InRaAdapter.prefix), to: &writer, dtype: dtype, file: path)
            try write(writer.serialized(), to: path)
            return [path]
        }

        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        let weightsPath = join(directory, weightsFileName)
        let expanded = expandedWeights(base)
        try add([(name: "model.embed_tokens.weight", shape: [base.embedding.rows, base.embedding.cols], values: base.embedding.dequantized().values),
                 (name: "model.norm.weight", shape: [base.finalNorm.count], values: base.finalNorm)],
                to: &writer, dtype: dtype, file: weightsPath)
        if !base.config.tieWordEmbeddings {
            try add([(name: "lm_head.weight", shape: [base.outputHead.rows, base.outputHead.cols], values: base.outputHead.dequantized().values)],
                    to: &writer, dtype: dtype, file: weightsPath)
        }
        for (index, layer) in expanded.layers.enumerated() {
            try add(layer.huggingFaceTensors(prefix: "model.layers.\(index)."), to: &writer, dtype: dtype, file: weightsPath)
        }
        var written: [String] = []
        try write(writer.serialized(), to: weightsPath)
        written.append(weightsPath)

        let configPath = join(directory, "config.json")
        try write(try expandedConfig(model, dtype: dtype).jsonBytes, to: configPath)
        written.append(configPath)
        written += try carryTokenizer(model, into: directory)
        return written
    }

    private static func add(
        _ tensors: [(name: String, shape: [Int], values: [Float])], to writer: inout SafetensorsWriter,
        dtype: SafetensorsDType, file: String
    ) throws(ExpansionError) {
        for tensor in tensors {
            do {
                try writer.add(tensor.name, shape: tensor.shape, floats: tensor.values, as: dtype)
            } catch {
                throw ExpansionError(path: file, problem: error.description)
            }
        }
    }

    static func isHuggingFaceDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The source's `config.json` with the layer count, `layer_types`, dtype and
    /// `realign_inra` updated; for a GGUF source, a config built from its header.
    static func expandedConfig(_ model: ModelFile, dtype: SafetensorsDType) throws(ExpansionError) -> JSONValue {
        let config = model.weights.config
        var members: [JSONMember]
        if isHuggingFaceDirectory(model.path) {
            let path = join(model.path, "config.json")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ExpansionError(path: path, problem: "cannot read")
            }
            let parsed: JSONValue
            do {
                parsed = try JSONParser.parse(Array(data))
            } catch {
                throw ExpansionError(path: path, problem: error.description)
            }
            guard let object = parsed.objectMembers else {
                throw ExpansionError(path: path, problem: "top level is not a JSON object")
            }
            members = object
        } else {
            members = ggufConfigMembers(model)
        }
        func set(_ key: String, _ value: JSONValue) {
            if let index = members.firstIndex(where: { $0.key == key }) {
                members[index].value = value
            } else {
                members.append(JSONMember(key, value))
            }
        }
        set("num_hidden_layers", .integer(Int64(config.layerCount + 1)))
        if case .array(let types)? = members.last(where: { $0.key == "layer_types" })?.value, let first = types.first {
            set("layer_types", .array([first] + types))
        }
        let dtypeName: String = switch dtype {
        case .bf16: "bfloat16"
        case .f16: "float16"
        default: "float32"
        }
        if members.contains(where: { $0.key == "torch_dtype" }) { set("torch_dtype", .string(dtypeName)) }
        set("dtype", .string(dtypeName))
        let declaration = configMember(baseLayers: config.layerCount)
        set(declaration.key, declaration.value)
        return .object(members)
    }

    /// `"realign_inra": {"adapter_layer": 0, "base_layers": N}`, the `config.json` entry
    /// that declares an expanded model.
    static func configMember(baseLayers: Int) -> JSONMember {
        JSONMember("realign_inra", .object([
            JSONMember("adapter_layer", .integer(Int64(InRaModel.adapterLayer))),
            JSONMember("base_layers", .integer(Int64(baseLayers))),
        ]))
    }

    /// transformers' LlamaConfig / Qwen2Config for a model read from GGUF: the same
    /// config a training checkpoint writes.
    private static func ggufConfigMembers(_ model: ModelFile) -> [JSONMember] {
        HuggingFaceModelFiles.configJSON(
            model.weights.config, bosTokenID: model.tokenizer?.bosTokenId,
            eosTokenIDs: model.tokenizer?.eosTokenId.map { [$0] } ?? []
        ).objectMembers ?? []
    }

    /// Copies the tokenizer and generation files of a Hugging Face source, or writes
    /// them from a GGUF source's metadata.
    private static func carryTokenizer(_ model: ModelFile, into directory: String) throws(ExpansionError) -> [String] {
        var written: [String] = []
        if isHuggingFaceDirectory(model.path) {
            for name in carriedFiles {
                let source = join(model.path, name)
                guard let data = FileManager.default.contents(atPath: source) else { continue }
                let destination = join(directory, name)
                try write(Array(data), to: destination)
                written.append(destination)
            }
            return written
        }
        guard model.tokenizer != nil else { return written }
        let files: CheckpointModel
        do {
            files = try CheckpointModel(student: model)
        } catch {
            throw ExpansionError(path: directory, problem: "tokenizer: \(error)")
        }
        for (name, bytes) in (files.tokenizer?.files ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = join(directory, name)
            try write(bytes, to: path)
            written.append(path)
        }
        let generationPath = join(directory, "generation_config.json")
        try write(HuggingFaceModelFiles.generationConfigJSON(bosTokenID: files.bosTokenID, eosTokenIDs: files.eosTokenIDs).jsonBytes,
                  to: generationPath)
        return written + [generationPath]
    }

    static func join(_ directory: String, _ file: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(file).path
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(ExpansionError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ExpansionError(path: path, problem: "cannot write")
        }
    }
}

/// An expansion that could not be written, with the file and the reason.
public struct ExpansionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public var description: String { "expand: \(path): \(problem)" }
}
