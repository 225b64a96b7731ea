/// Everything needed to build a byte-level BPE tokenizer, whichever file it came from
/// (GGUF `tokenizer.ggml.*` metadata or a Hugging Face `tokenizer.json`).
public struct TokenizerSpec: Sendable, Equatable {
    /// How text is split into chunks before BPE merges run inside each chunk.
    public enum PreTokenizer: String, Sendable, Equatable {
        /// GPT-2's regex.
        case gpt2
        /// Every digit split off first, then GPT-2's regex (SmolLM2: GGUF `pre=smollm`,
        /// `Digits(individual_digits=true)` + `ByteLevel` in its tokenizer.json).
        case smollm
        /// Qwen2's regex (single digits, case-insensitive contractions); also used by
        /// DeepSeek-R1-Distill-Qwen.
        case qwen2
    }

    /// Token strings by id, in the GPT-2 byte-to-unicode alphabet (`Ġ` is a space).
    public var tokens: [String]
    /// Merge rules by priority, each `"left right"`.
    public var merges: [String]
    /// Ids of special / added tokens that are matched as whole strings inside text
    /// before pre-tokenisation.
    public var specialTokenIds: [Int32]
    public var preTokenizer: PreTokenizer
    public var bosTokenId: Int32?
    public var eosTokenId: Int32?
    public var addBOS: Bool

    public init(
        tokens: [String], merges: [String], specialTokenIds: [Int32], preTokenizer: PreTokenizer,
        bosTokenId: Int32?, eosTokenId: Int32?, addBOS: Bool
    ) {
        self.tokens = tokens
        self.merges = merges
        self.specialTokenIds = specialTokenIds
        self.preTokenizer = preTokenizer
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.addBOS = addBOS
    }
}
