import Foundation

/// Loads a model from a GGUF file or a Hugging Face directory. `precision` applies to
/// GGUF files (Hugging Face weights are always float32).
public enum ModelLoader {
    public static func load(path: String, precision: WeightPrecision = .exact) throws(FileError) -> ModelFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path: path, problem: "no such file or directory")
        }
        return isDirectory.boolValue ? try loadHuggingFace(directory: path) : try loadGGUF(path: path, precision: precision)
    }

    public static func loadGGUF(path: String, precision: WeightPrecision = .exact) throws(FileError) -> ModelFile {
        let gguf = try GGUFFile(path: path)
        let weights = try ModelWeights(gguf: gguf, precision: precision)
        let tokenizer = try TokenizerSpec(gguf: gguf)
        var stops: [Int32] = []
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"] {
            guard let id = try gguf.integer(key) else { continue }
            guard (0..<tokenizer.tokens.count).contains(id) else {
                throw gguf.error("metadata \(key) = \(id) is not a token id (vocabulary of \(tokenizer.tokens.count))")
            }
            if !stops.contains(Int32(id)) { stops.append(Int32(id)) }
        }
        let chatTemplate = try gguf.string("tokenizer.chat_template")
        let contentSHA256 = withExtendedLifetime(gguf.file) { SHA256.hex($0.contents) }
        // Hashing read every page. The pages the weights read come back on first use; the
        // rest (header, tokenizer strings, rows copied in another order) would stay in the
        // worker's resident memory for nothing.
        gguf.file.releasePages(0..<gguf.file.size)
        return ModelFile(
            path: path, weights: weights, tokenizer: tokenizer, huggingFaceTokenizerJSON: nil,
            chatTemplate: chatTemplate, stopTokenIds: stops, contentSHA256: contentSHA256)
    }

    public static func loadHuggingFace(directory path: String) throws(FileError) -> ModelFile {
        let directory = try HuggingFaceDirectory(path: path)
        return ModelFile(
            path: path, weights: try ModelWeights(huggingFace: directory), tokenizer: nil,
            huggingFaceTokenizerJSON: try directory.tokenizerJSON(),
            huggingFaceTokenizerConfigJSON: try directory.tokenizerConfigJSON(), chatTemplate: try directory.chatTemplate(),
            stopTokenIds: try directory.stopTokenIds(), contentSHA256: directory.contentSHA256)
    }
}
