/// One sequence to generate.
public struct GenerationRequest: Sendable {
    public var id: String
    /// The prompt, as token ids.
    public var promptIds: [Int32]
    /// DeRa only: the aligned model's own prompt (`aligned_system`: the same
    /// conversation under another system message); by default `promptIds`.
    public var alignedPromptIds: [Int32]?
    /// InRa and DeRa: the weight of the aligned stream (`control`); ignored for plain models.
    public var lambda: Float
    public var sampling: SamplingParameters
    /// At most this many generated tokens (finish reason `length`); nil: until the
    /// context is full.
    public var maxTokens: Int?
    /// Tokens that end generation (finish reason `stop`); they add no text.
    public var stopTokenIds: [Int32]
    /// Strings that end generation; the text stops before the first one found.
    public var stopStrings: [String]
    public var skipSpecialTokens: Bool

    public init(
        id: String, promptIds: [Int32], alignedPromptIds: [Int32]? = nil, lambda: Float = 1,
        sampling: SamplingParameters = .greedy, maxTokens: Int? = nil, stopTokenIds: [Int32] = [],
        stopStrings: [String] = [], skipSpecialTokens: Bool = true
    ) {
        self.id = id
        self.promptIds = promptIds
        self.alignedPromptIds = alignedPromptIds
        self.lambda = lambda
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stopTokenIds = stopTokenIds
        self.stopStrings = stopStrings
        self.skipSpecialTokens = skipSpecialTokens
    }
}

public enum FinishReason: String, Sendable, Equatable {
    /// A stop token or stop string.
    case stop
    /// `maxTokens` reached, or the context is full.
    case length
}

/// What one decode step did for one sequence.
public struct GenerationUpdate: Sendable, Equatable {
    public var id: String
    /// The token this step generated.
    public var tokenId: Int32
    /// Text released by this step: whole characters, nothing that may start a stop
    /// string (empty without a tokenizer).
    public var text: String
    /// Set on the sequence's last update; it is then no longer in the session.
    public var finishReason: FinishReason?
    public var promptTokens: Int
    public var completionTokens: Int
}

/// A finished generation.
public struct GenerationResult: Sendable, Equatable {
    public var id: String
    /// Generated ids, a final stop token included.
    public var tokenIds: [Int32]
    public var text: String
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var completionTokens: Int
}

/// A request the session cannot take, with the reason.
public struct GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var id: String
    public var problem: String

    public var description: String { "generation request \(id): \(problem)" }
}
