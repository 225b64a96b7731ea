import Foundation

extension TokenizerSpec {
    /// The Qwen2 pre-tokenizer regex exactly as Qwen2 and DeepSeek-R1-Distill-Qwen
    /// tokenizer.json files write it in their `Split` step.
    static let qwen2SplitRegex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The byte-level BPE tokenizer of a Hugging Face `tokenizer.json` (model type `BPE`),
    /// with BOS/EOS and `add_bos_token` from `tokenizer_config.json` when given.
    ///
    /// Every entry of `added_tokens` (special or not) is matched as a whole string, as
    /// Hugging Face does, so all of them land in `specialTokenIds`. Pre-tokenizers map as:
    /// `ByteLevel(use_regex)` to `.gpt2`; `Sequence[Digits(individual_digits), ByteLevel]`
    /// to `.smollm`; `Sequence[Split(Qwen2 regex), ByteLevel(use_regex=false)]` to
    /// `.qwen2`; anything else is an error. An `NFC` normalizer is accepted and not
    /// applied (text is taken to be NFC already, as llama.cpp does).
    public init(huggingFaceTokenizerJSON: [UInt8], tokenizerConfigJSON: [UInt8]?) throws(TokenizerError) {
        let file = "tokenizer.json"
        let root = try Self.jsonObject(huggingFaceTokenizerJSON, file: file)
        guard let model = root["model"] as? [String: Any] else {
            throw .invalidJSON(file: file, field: "model", problem: "missing or not an object")
        }
        let modelType = model["type"] as? String ?? "BPE"
        guard modelType == "BPE" else { throw .unsupported(file: file, field: "model.type", value: modelType) }
        if model["byte_fallback"] as? Bool == true {
            throw .unsupported(file: file, field: "model.byte_fallback", value: "true")
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw .invalidJSON(file: file, field: "model.vocab", problem: "missing or not an object")
        }
        var tokensById: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0 else {
                throw .invalidJSON(file: file, field: "model.vocab[\(token)]", problem: "id is not a non-negative integer")
            }
            tokensById[id] = token
        }
        var addedIds: [Int] = []
        for (index, entry) in (root["added_tokens"] as? [Any] ?? []).enumerated() {
            guard let added = entry as? [String: Any], let id = added["id"] as? Int, id >= 0,
                  let content = added["content"] as? String else {
                throw .invalidJSON(file: file, field: "added_tokens[\(index)]", problem: "needs a non-negative id and a content string")
            }
            tokensById[id] = content
            addedIds.append(id)
        }
        // Ids run 0..<count without gaps, so the largest is below the number of distinct
        // ids; a larger one means a gap, found by looking no further than that number -
        // the token table is never sized from an id the file merely claims.
        let maxID = tokensById.keys.max() ?? -1
        guard maxID < tokensById.count else {
            let gap = (0...tokensById.count).first { tokensById[$0] == nil }!
            throw .invalidJSON(file: file, field: "model.vocab", problem: "no token has id \(gap) (ids must be 0..<\(UInt64(maxID) + 1) without gaps)")
        }
        let count = maxID + 1
        let specialTokenIds = addedIds.map { Int32($0) }
        var tokens: [String] = []
        tokens.reserveCapacity(count)
        for id in 0..<count {
            guard let token = tokensById[id] else {
                throw .invalidJSON(file: file, field: "model.vocab", problem: "no token has id \(id) (ids must be 0..<\(count) without gaps)")
            }
            tokens.append(token)
        }
        let merges = try Self.merges(model["merges"], file: file)
        try Self.checkNormalizer(root["normalizer"], file: file)
        let preTokenizer = try Self.preTokenizer(root["pre_tokenizer"], file: file)

        var bosTokenId: Int32?
        var eosTokenId: Int32?
        var addBOS = false
        if let tokenizerConfigJSON {
            let configFile = "tokenizer_config.json"
            let config = try Self.jsonObject(tokenizerConfigJSON, file: configFile)
            let idsByToken = Dictionary(tokens.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
            func tokenId(_ field: String) throws(TokenizerError) -> Int32? {
                let value = config[field]
                let content = value as? String ?? (value as? [String: Any])?["content"] as? String
                guard let content else { return nil }
                guard let id = idsByToken[content] else {
                    throw .invalidJSON(file: configFile, field: field, problem: "token \(content) is not in the vocabulary")
                }
                return id
            }
            bosTokenId = try tokenId("bos_token")
            eosTokenId = try tokenId("eos_token")
            addBOS = config["add_bos_token"] as? Bool ?? false
        }
        self.init(
            tokens: tokens, merges: merges, specialTokenIds: specialTokenIds.sorted(), preTokenizer: preTokenizer,
            bosTokenId: bosTokenId, eosTokenId: eosTokenId, addBOS: addBOS)
    }

    private static func jsonObject(_ bytes: [UInt8], file: String) throws(TokenizerError) -> [String: Any] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw .invalidJSON(file: file, field: "(root)", problem: "not valid JSON: \(error)")
        }
        guard let object = parsed as? [String: Any] else {
            throw .invalidJSON(file: file, field: "(root)", problem: "not a JSON object")
        }
        return object
    }

    /// Merges as `"a b"` strings (older files) or `["a", "b"]` pairs (newer ones).
    private static func merges(_ value: Any?, file: String) throws(TokenizerError) -> [String] {
        guard let entries = value as? [Any] else {
            throw .invalidJSON(file: file, field: "model.merges", problem: "missing or not an array")
        }
        var merges: [String] = []
        merges.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            if let rule = entry as? String {
                merges.append(rule)
            } else if let pair = entry as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append(left + " " + right)
            } else {
                throw .invalidJSON(file: file, field: "model.merges[\(index)]", problem: "neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        return merges
    }

    private static func checkNormalizer(_ value: Any?, file: String) throws(TokenizerError) {
        guard let value, !(value is NSNull) else { return }
        let type = (value as? [String: Any])?["type"] as? String
        guard type == "NFC" else { throw .unsupported(file: file, field: "normalizer", value: describe(value)) }
    }

    private static func preTokenizer(_ value: Any?, file: String) throws(TokenizerError) -> PreTokenizer {
        let unsupported = TokenizerError.unsupported(file: file, field: "pre_tokenizer", value: describe(value))
        guard let object = value as? [String: Any], let type = object["type"] as? String else { throw unsupported }
        func isByteLevel(_ step: [String: Any], usesRegex: Bool) -> Bool {
            step["type"] as? String == "ByteLevel" && (step["add_prefix_space"] as? Bool ?? false) == false
                && (step["use_regex"] as? Bool ?? true) == usesRegex
        }
        if isByteLevel(object, usesRegex: true) { return .gpt2 }
        guard type == "Sequence", let steps = object["pretokenizers"] as? [[String: Any]], steps.count == 2 else {
            throw unsupported
        }
        let first = steps[0]
        if first["type"] as? String == "Digits", first["individual_digits"] as? Bool == true,
           isByteLevel(steps[1], usesRegex: true) {
            return .smollm
        }
        if first["type"] as? String == "Split", (first["pattern"] as? [String: Any])?["Regex"] as? String == qwen2SplitRegex,
           first["behavior"] as? String == "Isolated", first["invert"] as? Bool ?? false == false,
           isByteLevel(steps[1], usesRegex: false) {
            return .qwen2
        }
        throw unsupported
    }

    /// A short JSON rendering of a value for error messages.
    private static func describe(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null" }
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else {
            return String(describing: value)
        }
        let text = String(decoding: data, as: UTF8.self)
        return text.count > 300 ? String(text.prefix(300)) + "..." : text
    }
}
