extension TokenizerSpec {
    /// A Hugging Face `tokenizer.json` (byte-level BPE) for this spec, for writing a
    /// model that came from GGUF metadata as a Hugging Face directory. Special tokens
    /// become `added_tokens`; the pre-tokenizer is written in the form
    /// `init(huggingFaceTokenizerJSON:)` reads back and transformers runs.
    public var huggingFaceTokenizerJSON: JSONValue {
        let special = Set(specialTokenIds)
        let vocab = tokens.enumerated().filter { !special.contains(Int32($0.offset)) }
            .map { JSONMember($0.element, .integer(Int64($0.offset))) }
        let added = specialTokenIds.sorted().map { id in
            JSONValue.object([
                JSONMember("id", .integer(Int64(id))), JSONMember("content", .string(tokens[Int(id)])),
                JSONMember("single_word", .bool(false)), JSONMember("lstrip", .bool(false)),
                JSONMember("rstrip", .bool(false)), JSONMember("normalized", .bool(false)),
                JSONMember("special", .bool(true)),
            ])
        }
        func byteLevel(useRegex: Bool) -> JSONValue {
            .object([JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(false)),
                     JSONMember("trim_offsets", .bool(true)), JSONMember("use_regex", .bool(useRegex))])
        }
        let preTokenizerJSON: JSONValue
        switch preTokenizer {
        case .gpt2:
            preTokenizerJSON = byteLevel(useRegex: true)
        case .smollm:
            preTokenizerJSON = .object([JSONMember("type", .string("Sequence")), JSONMember("pretokenizers", .array([
                .object([JSONMember("type", .string("Digits")), JSONMember("individual_digits", .bool(true))]),
                byteLevel(useRegex: true),
            ]))])
        case .qwen2:
            preTokenizerJSON = .object([JSONMember("type", .string("Sequence")), JSONMember("pretokenizers", .array([
                .object([JSONMember("type", .string("Split")),
                         JSONMember("pattern", .object([JSONMember("Regex", .string(Self.qwen2SplitRegex))])),
                         JSONMember("behavior", .string("Isolated")), JSONMember("invert", .bool(false))]),
                byteLevel(useRegex: false),
            ]))])
        }
        return .object([
            JSONMember("version", .string("1.0")),
            JSONMember("truncation", .null),
            JSONMember("padding", .null),
            JSONMember("added_tokens", .array(added)),
            JSONMember("normalizer", .null),
            JSONMember("pre_tokenizer", preTokenizerJSON),
            JSONMember("post_processor", .null),
            JSONMember("decoder", .object([JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(true)),
                                           JSONMember("trim_offsets", .bool(true)), JSONMember("use_regex", .bool(true))])),
            JSONMember("model", .object([
                JSONMember("type", .string("BPE")), JSONMember("dropout", .null), JSONMember("unk_token", .null),
                JSONMember("continuing_subword_prefix", .null), JSONMember("end_of_word_suffix", .null),
                JSONMember("fuse_unk", .bool(false)), JSONMember("byte_fallback", .bool(false)),
                JSONMember("ignore_merges", .bool(false)),
                JSONMember("vocab", .object(vocab)),
                JSONMember("merges", .array(merges.map { .string($0) })),
            ])),
        ])
    }
}
