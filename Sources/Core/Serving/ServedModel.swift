import Foundation

/// A model as a worker serves it: ready for the forward pass, with its tokenizer, chat
/// template and identity (name and content hash, recorded in every reply).
///
/// An InRa model (an expanded directory, or a base model plus an adapter file) is
/// served as its aligned stream - the expanded stack, an ordinary model to teacher jobs
/// and to `plain` generation - and `inra` gives both streams for `inra` generation.
public final class ServedModel: Sendable {
    public let name: String
    public let path: String
    public let identity: ModelIdentity
    public let transformer: Transformer
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    /// The token that ends an assistant turn; scored as the last response token of
    /// every text-form sequence, so a student trained on the targets learns to stop.
    public let endOfTurnTokenID: Int32
    public let stopTokenIDs: [Int32]
    /// The InRa model when this one has an adapter; its `transformer` is `transformer`.
    public let inra: InRaModel?

    /// - Parameters:
    ///   - file: the model file; for an InRa model loaded as base plus adapter, the base's
    ///     (tokenizer, template and stops come from it).
    ///   - inra: the InRa model built from `file` (and its adapter), if it has one.
    ///   - adapterSHA256: the adapter file's hash when it is a file of its own, so the
    ///     identity tells base plus adapter apart from the base alone.
    public init(name: String, file: ModelFile, inra: InRaModel? = nil, adapterSHA256: String? = nil) throws(ModelSetupError) {
        func fail(_ problem: String) -> ModelSetupError { ModelSetupError(name: name, path: file.path, problem: problem) }
        let spec: TokenizerSpec
        if let fromGGUF = file.tokenizer {
            spec = fromGGUF
        } else if let json = file.huggingFaceTokenizerJSON {
            do {
                spec = try TokenizerSpec(huggingFaceTokenizerJSON: json, tokenizerConfigJSON: file.huggingFaceTokenizerConfigJSON)
            } catch {
                throw fail("tokenizer.json: \(error)")
            }
        } else {
            throw fail("the model has no tokenizer (no tokenizer.ggml.* metadata, no tokenizer.json)")
        }
        do {
            tokenizer = try Tokenizer(spec: spec)
        } catch {
            throw fail("tokenizer: \(error)")
        }
        if let source = file.chatTemplate {
            do {
                chatTemplate = try ChatTemplate(source: source)
            } catch {
                throw fail("chat template: \(error)")
            }
        } else {
            chatTemplate = nil
        }
        guard let endOfTurn = spec.eosTokenId ?? file.stopTokenIds.first else {
            throw fail("the model declares no end-of-turn (eos) token")
        }
        endOfTurnTokenID = endOfTurn
        stopTokenIDs = file.stopTokenIds.isEmpty ? [endOfTurn] : file.stopTokenIds
        self.name = name
        self.path = file.path
        let contentHash = adapterSHA256.map { SHA256.hex(file.contentSHA256 + "+" + $0) } ?? file.contentSHA256
        identity = ModelIdentity(name: name, contentHash: contentHash)
        self.inra = inra
        transformer = inra?.transformer ?? Transformer(weights: file.weights)
    }

    /// Loads a GGUF file or a Hugging Face directory and prepares it for serving: an
    /// InRa model when `adapter` (an adapter-only safetensors file for the base model at
    /// `path`) is given or the directory's `config.json` declares `realign_inra`.
    /// `precision` applies to GGUF files.
    public static func load(name: String, path: String, adapter: String? = nil, precision: WeightPrecision = .exact) throws -> ServedModel {
        if let adapter {
            let (model, file) = try InRaModel.load(path: path, adapter: adapter, precision: precision)
            // Hashed where it is mapped: reading it into memory would hold it twice at load.
            let adapterFile = try MappedFile(path: adapter)
            return try ServedModel(name: name, file: file, inra: model, adapterSHA256: SHA256.hex(adapterFile.contents))
        }
        if try InRaModel.declaredAdapterLayer(directory: path) != nil {
            let (model, file) = try InRaModel.load(path: path)
            return try ServedModel(name: name, file: file, inra: model)
        }
        return try ServedModel(name: name, file: ModelLoader.load(path: path, precision: precision))
    }

    public var hasAdapter: Bool { inra != nil }

    public var config: ModelConfig { transformer.config }
    public var contextLength: Int { config.contextLength }
    public var vocabularySize: Int { config.vocabSize }
}

/// A model that cannot be served, with the reason.
public struct ModelSetupError: Error, CustomStringConvertible {
    public var name: String
    public var path: String
    public var problem: String

    public var description: String { "model \(name) (\(path)): \(problem)" }
}
