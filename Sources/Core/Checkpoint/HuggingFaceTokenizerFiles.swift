import Foundation

/// The tokenizer files of a Hugging Face directory: `tokenizer.json`,
/// `tokenizer_config.json` and `chat_template.jinja` (file name → bytes).
public struct HuggingFaceTokenizerFiles: Sendable, Equatable {
    public var files: [String: [UInt8]]

    public init(files: [String: [UInt8]]) {
        self.files = files
    }

    /// The files a Hugging Face tokenizer directory may hold, copied as they are.
    public static let copiedFileNames = [
        "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json",
        "added_tokens.json", "vocab.json", "merges.txt",
    ]

    /// The tokenizer files of a Hugging Face model directory, unchanged.
    public static func copied(fromDirectory directory: String) -> HuggingFaceTokenizerFiles {
        var files: [String: [UInt8]] = [:]
        for name in copiedFileNames {
            if let data = FileManager.default.contents(atPath: directory + "/" + name) { files[name] = Array(data) }
        }
        return HuggingFaceTokenizerFiles(files: files)
    }

    /// Files that reproduce `spec` (a GGUF file's tokenizer) in Hugging Face's format:
    /// a BPE `model` with the whole vocabulary and the merges as pairs, every special id
    /// as an `added_tokens` entry, the pre-tokenizer as `TokenizerSpec` reads it back
    /// (`.smollm` is `Sequence[Digits(individual_digits), ByteLevel]`), a ByteLevel
    /// decoder, and BOS prepended by the post-processor only when the spec adds it.
    /// `chatTemplate` goes both into `chat_template.jinja` (transformers 5) and into
    /// `tokenizer_config.json` (older versions).
    public static func from(spec: TokenizerSpec, chatTemplate: String?, contextLength: Int) throws(CheckpointError) -> HuggingFaceTokenizerFiles {
        var seen: [String: Int] = [:]
        for (id, token) in spec.tokens.enumerated() {
            if let earlier = seen[token] {
                throw CheckpointError(path: "tokenizer.json", problem: "tokens \(earlier) and \(id) are both \"\(token)\"; a tokenizer.json vocabulary cannot hold the same string twice")
            }
            seen[token] = id
        }
        func byteLevel(useRegex: Bool) -> JSONValue {
            .object([JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(false)),
                     JSONMember("trim_offsets", .bool(true)), JSONMember("use_regex", .bool(useRegex))])
        }
        let preTokenizer: JSONValue
        var normalizer = JSONValue.null
        switch spec.preTokenizer {
        case .gpt2:
            preTokenizer = byteLevel(useRegex: true)
        case .smollm:
            preTokenizer = .object([JSONMember("type", .string("Sequence")), JSONMember("pretokenizers", .array([
                .object([JSONMember("type", .string("Digits")), JSONMember("individual_digits", .bool(true))]),
                byteLevel(useRegex: true),
            ]))])
        case .qwen2:
            normalizer = .object([JSONMember("type", .string("NFC"))])
            preTokenizer = .object([JSONMember("type", .string("Sequence")), JSONMember("pretokenizers", .array([
                .object([JSONMember("type", .string("Split")),
                         JSONMember("pattern", .object([JSONMember("Regex", .string(TokenizerSpec.qwen2SplitRegex))])),
                         JSONMember("behavior", .string("Isolated")), JSONMember("invert", .bool(false))]),
                byteLevel(useRegex: false),
            ]))])
        }
        let addedTokens = spec.specialTokenIds.sorted().map { id -> JSONValue in
            .object([
                JSONMember("id", .integer(Int64(id))), JSONMember("content", .string(spec.tokens[Int(id)])),
                JSONMember("single_word", .bool(false)), JSONMember("lstrip", .bool(false)), JSONMember("rstrip", .bool(false)),
                JSONMember("normalized", .bool(false)), JSONMember("special", .bool(true)),
            ])
        }
        var postProcessor = JSONValue.null
        if spec.addBOS, let bos = spec.bosTokenId {
            let bosText = spec.tokens[Int(bos)]
            let special = JSONValue.object([JSONMember("SpecialToken", .object([JSONMember("id", .string(bosText)), JSONMember("type_id", .integer(0))]))])
            func sequence(_ name: String) -> JSONValue {
                .object([JSONMember("Sequence", .object([JSONMember("id", .string(name)), JSONMember("type_id", .integer(0))]))])
            }
            postProcessor = .object([
                JSONMember("type", .string("TemplateProcessing")),
                JSONMember("single", .array([special, sequence("A")])),
                JSONMember("pair", .array([special, sequence("A"), special, sequence("B")])),
                JSONMember("special_tokens", .object([JSONMember(bosText, .object([
                    JSONMember("id", .string(bosText)), JSONMember("ids", .array([.integer(Int64(bos))])),
                    JSONMember("tokens", .array([.string(bosText)])),
                ]))])),
            ])
        }
        let merges = spec.merges.map { rule -> JSONValue in
            let parts = rule.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            return .array(parts.map { .string(String($0)) })
        }
        let tokenizer = JSONValue.object([
            JSONMember("version", .string("1.0")), JSONMember("truncation", .null), JSONMember("padding", .null),
            JSONMember("added_tokens", .array(addedTokens)),
            JSONMember("normalizer", normalizer),
            JSONMember("pre_tokenizer", preTokenizer),
            JSONMember("post_processor", postProcessor),
            JSONMember("decoder", .object([JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(true)),
                                           JSONMember("trim_offsets", .bool(true)), JSONMember("use_regex", .bool(true))])),
            JSONMember("model", .object([
                JSONMember("type", .string("BPE")), JSONMember("dropout", .null), JSONMember("unk_token", .null),
                JSONMember("continuing_subword_prefix", .null), JSONMember("end_of_word_suffix", .null),
                JSONMember("fuse_unk", .bool(false)), JSONMember("byte_fallback", .bool(false)), JSONMember("ignore_merges", .bool(false)),
                JSONMember("vocab", .object(spec.tokens.enumerated().map { JSONMember($1, .integer(Int64($0))) })),
                JSONMember("merges", .array(merges)),
            ])),
        ])
        func token(_ id: Int32?) -> JSONValue { id.map { .string(spec.tokens[Int($0)]) } ?? .null }
        var config: [JSONMember] = [
            JSONMember("tokenizer_class", .string("GPT2Tokenizer")),
            JSONMember("add_bos_token", .bool(spec.addBOS)), JSONMember("add_eos_token", .bool(false)),
            JSONMember("add_prefix_space", .bool(false)),
            JSONMember("bos_token", token(spec.bosTokenId)), JSONMember("eos_token", token(spec.eosTokenId)),
            JSONMember("pad_token", token(spec.eosTokenId)),
            JSONMember("clean_up_tokenization_spaces", .bool(false)),
            JSONMember("model_max_length", .integer(Int64(contextLength))),
            JSONMember("added_tokens_decoder", .object(spec.specialTokenIds.sorted().map { id in
                JSONMember(String(id), .object([
                    JSONMember("content", .string(spec.tokens[Int(id)])), JSONMember("lstrip", .bool(false)),
                    JSONMember("normalized", .bool(false)), JSONMember("rstrip", .bool(false)),
                    JSONMember("single_word", .bool(false)), JSONMember("special", .bool(true)),
                ]))
            })),
        ]
        var files = ["tokenizer.json": tokenizer.jsonBytes]
        if let chatTemplate {
            config.append(JSONMember("chat_template", .string(chatTemplate)))
            files["chat_template.jinja"] = Array(chatTemplate.utf8)
        }
        files["tokenizer_config.json"] = JSONValue.object(config).jsonBytes
        return HuggingFaceTokenizerFiles(files: files)
    }
}
