import Foundation

/// A Hugging Face model directory: `config.json`, the weights in `model.safetensors`
/// or in the shards a `model.safetensors.index.json` names (`weight_map`), and,
/// when present, the tokenizer and generation files.
struct HuggingFaceDirectory {
    static let singleWeightFile = "model.safetensors"
    static let shardIndexFile = "model.safetensors.index.json"

    struct Shard {
        var name: String
        var mapped: MappedFile
        var tensors: SafetensorsFile
    }

    let path: String
    let configJSON: HuggingFaceJSON
    let config: ModelConfig
    /// Weight files, in the order their bytes are hashed (sorted by file name).
    let shards: [Shard]
    /// Which shard holds each tensor.
    let shardOfTensor: [String: Int]

    init(path: String) throws(FileError) {
        self.path = path
        configJSON = try HuggingFaceJSON(path: Self.join(path, "config.json"))
        config = try ModelConfig(huggingFaceConfig: configJSON)

        let indexPath = Self.join(path, Self.shardIndexFile)
        var shardNames: [String]
        var assignment: [String: String] = [:]
        if FileManager.default.fileExists(atPath: indexPath) {
            let index = try HuggingFaceJSON(path: indexPath)
            guard let weightMap = index.object["weight_map"] as? [String: Any] else {
                throw index.error("weight_map is missing or not an object")
            }
            for (tensor, file) in weightMap {
                guard let file = file as? String, !file.isEmpty, !file.contains("/"), file != ".." else {
                    throw index.error("weight_map entry \(tensor) does not name a file in the directory")
                }
                assignment[tensor] = file
            }
            shardNames = Array(Set(assignment.values)).sorted()
        } else {
            shardNames = [Self.singleWeightFile]
        }
        var shards: [Shard] = []
        var shardOfTensor: [String: Int] = [:]
        for (position, name) in shardNames.enumerated() {
            let mapped = try MappedFile(path: Self.join(path, name))
            let tensors = try SafetensorsFile(file: mapped)
            for tensor in tensors.tensors.keys {
                if let listed = assignment[tensor], listed != name { continue }
                guard shardOfTensor[tensor] == nil else {
                    throw FileError(path: mapped.path, problem: "tensor \(tensor) is also in \(shardNames[shardOfTensor[tensor]!])")
                }
                shardOfTensor[tensor] = position
            }
            shards.append(Shard(name: name, mapped: mapped, tensors: tensors))
        }
        for (tensor, file) in assignment where shardOfTensor[tensor] == nil {
            throw FileError(path: indexPath, problem: "weight_map puts tensor \(tensor) in \(file), which does not contain it")
        }
        self.shards = shards
        self.shardOfTensor = shardOfTensor
    }

    static func join(_ directory: String, _ file: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(file).path
    }

    static func contents(of file: String) throws(FileError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FileError(path: file, problem: "cannot read")
        }
        return Array(data)
    }

    /// SHA-256 of the weight files' bytes, shards in order.
    var contentSHA256: String {
        withExtendedLifetime(shards) { SHA256.hex(concatenationOf: $0.map { $0.mapped.contents }) }
    }

    /// The raw bytes of `tokenizer.json`, if the directory has one.
    func tokenizerJSON() throws(FileError) -> [UInt8]? {
        let file = Self.join(path, "tokenizer.json")
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        return try Self.contents(of: file)
    }

    /// `chat_template.jinja` (transformers 5), else `tokenizer_config.json`'s
    /// `chat_template` (a string, or a list of named templates: the `default` one).
    func chatTemplate() throws(FileError) -> String? {
        let jinja = Self.join(path, "chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja) {
            guard let template = String(validating: try Self.contents(of: jinja), as: UTF8.self) else {
                throw FileError(path: jinja, problem: "not valid UTF-8")
            }
            return template
        }
        let configPath = Self.join(path, "tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: configPath) else { return nil }
        let tokenizerConfig = try HuggingFaceJSON(path: configPath)
        guard let value = tokenizerConfig.object["chat_template"], !(value is NSNull) else { return nil }
        if let template = value as? String { return template }
        if let named = value as? [[String: Any]] {
            let templates = named.compactMap { entry -> (String, String)? in
                guard let name = entry["name"] as? String, let template = entry["template"] as? String else { return nil }
                return (name, template)
            }
            if let template = templates.first(where: { $0.0 == "default" })?.1 { return template }
        }
        throw tokenizerConfig.error("chat_template is neither a string nor a list with a template named default")
    }

    /// `generation_config.json`'s `eos_token_id` (an id or a list), else `config.json`'s.
    func stopTokenIds() throws(FileError) -> [Int32] {
        let generationPath = Self.join(path, "generation_config.json")
        var ids: [Int]?
        if FileManager.default.fileExists(atPath: generationPath) {
            ids = try HuggingFaceJSON(path: generationPath).integerList("eos_token_id")
        }
        if ids == nil { ids = try configJSON.integerList("eos_token_id") }
        var stops: [Int32] = []
        for id in ids ?? [] {
            guard (0..<config.vocabSize).contains(id) else {
                throw configJSON.error("eos_token_id \(id) is outside the vocabulary (\(config.vocabSize))")
            }
            if !stops.contains(Int32(id)) { stops.append(Int32(id)) }
        }
        return stops
    }
}
