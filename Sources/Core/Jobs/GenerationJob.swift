/// A generation request (`kind: "generate"`, docs/generation.md) after every check that
/// needs no model. Defaults that depend on the models (the mode of a request naming one
/// `model`) are left for the worker to settle.
public struct GenerationJob: Sendable, Equatable {
    public static let defaultMaxTokens = 256
    public static let maxStopStrings = 16

    /// The prompt in one of its three forms.
    public enum Input: Sendable, Equatable {
        /// Chat turns, rendered with the model's template and its generation prompt.
        case messages([ChatMessage])
        /// Raw text, tokenized as it is (no template).
        case prompt(String)
        /// Token ids.
        case tokens([Int32])

        var isMessages: Bool {
            if case .messages = self { return true }
            return false
        }
    }

    /// Which models the request names.
    public enum Models: Sendable, Equatable {
        /// `model`: `plain` or `inra`.
        case single(String)
        /// `ref` and `aligned`: `dera`.
        case pair(ref: String, aligned: String)
    }

    public var id: String
    public var replyTo: String
    /// Absolute Unix time in milliseconds; 0 means no deadline.
    public var deadlineMs: Int64
    public var models: Models
    /// nil: the default (`inra` when the model has an adapter, else `plain`); always
    /// `dera` for a pair of models.
    public var mode: GenerationMode?
    /// The aligned model's system message (`dera` with messages only).
    public var alignedSystem: String?
    /// nil when not given; `inra` and `dera` then use 1.0.
    public var lambda: Double?
    public var input: Input
    public var maxTokens: Int
    /// Its seed is the request's, or derived from `id` when it gives none.
    public var sampling: SamplingParameters
    public var stopStrings: [String]
    public var stopTokenIDs: [Int32]
    public var stream: Bool

    public init(id: String, replyTo: String, deadlineMs: Int64 = 0, models: Models, mode: GenerationMode? = nil,
                alignedSystem: String? = nil, lambda: Double? = nil, input: Input,
                maxTokens: Int = GenerationJob.defaultMaxTokens, sampling: SamplingParameters? = nil,
                stopStrings: [String] = [], stopTokenIDs: [Int32] = [], stream: Bool = false) {
        self.id = id
        self.replyTo = replyTo
        self.deadlineMs = deadlineMs
        self.models = models
        self.mode = mode
        self.alignedSystem = alignedSystem
        self.lambda = lambda
        self.input = input
        self.maxTokens = maxTokens
        self.sampling = sampling ?? Self.defaultSampling(id: id)
        self.stopStrings = stopStrings
        self.stopTokenIDs = stopTokenIDs
        self.stream = stream
    }

    /// The sampling a request gets when it sets no sampling field.
    public static func defaultSampling(id: String) -> SamplingParameters {
        SamplingParameters(seed: SamplingParameters.seed(derivedFrom: id))
    }

    /// The lambda generation uses: the given one, else 1.0 (the aligned model).
    public var effectiveLambda: Double { lambda ?? 1 }
}
