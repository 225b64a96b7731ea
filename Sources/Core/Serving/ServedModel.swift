/// A model as a worker serves it: ready for the forward pass, with its tokenizer, chat
/// template and identity (name and content hash, recorded in every reply).
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

    public init(name: String, file: ModelFile) throws(ModelSetupError) {
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
        identity = ModelIdentity(name: name, contentHash: file.contentSHA256)
        transformer = Transformer(weights: file.weights)
    }

    /// Loads a GGUF file or a Hugging Face directory and prepares it for serving.
    public static func load(name: String, path: String) throws -> ServedModel {
        try ServedModel(name: name, file: ModelLoader.load(path: path))
    }

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
