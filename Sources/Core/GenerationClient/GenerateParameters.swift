/// The body of a generation request (`"generate": {...}`, docs/generation.md) as a client
/// builds it: which models, how logits are made, the prompt and the sampling settings.
/// Fields left nil are not written, so the worker's defaults apply.
public struct GenerateParameters: Sendable, Equatable {
    /// Exactly one prompt form, as the worker reads it.
    public typealias Input = GenerationJob.Input

    /// A field with a value the contract does not allow: the wire name and why.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { "\(field): \(message)" }
    }

    public static let lambdaRange: ClosedRange<Double> = -10...10
    public static let maximumStopStrings = 16

    public var model: String?
    public var ref: String?
    public var aligned: String?
    public var alignedSystem: String?
    public var mode: GenerationMode?
    public var lambda: Double?
    public var input: Input
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var minP: Double?
    public var seed: UInt64?
    public var stop: [String]
    public var stopTokenIDs: [Int32]
    public var stream: Bool

    public init(model: String? = nil, ref: String? = nil, aligned: String? = nil, alignedSystem: String? = nil,
                mode: GenerationMode? = nil, lambda: Double? = nil, input: Input, maxTokens: Int? = nil,
                temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, minP: Double? = nil,
                seed: UInt64? = nil, stop: [String] = [], stopTokenIDs: [Int32] = [], stream: Bool = false) {
        self.model = model
        self.ref = ref
        self.aligned = aligned
        self.alignedSystem = alignedSystem
        self.mode = mode
        self.lambda = lambda
        self.input = input
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.seed = seed
        self.stop = stop
        self.stopTokenIDs = stopTokenIDs
        self.stream = stream
    }

    /// The mode a worker will use: the given one, else `dera` when `ref`/`aligned` are
    /// given; nil when it depends on whether the worker's model has an adapter.
    public var effectiveMode: GenerationMode? {
        mode ?? (ref != nil || aligned != nil ? .dera : nil)
    }

    /// The first value the contract refuses, checked before anything is sent, so a
    /// command fails with a usage error and the gateway answers 400 naming the field.
    public var problem: Problem? {
        func problem(_ field: String, _ message: String) -> Problem { Problem(field: field, message: message) }
        switch effectiveMode {
        case .dera:
            if ref == nil || aligned == nil { return problem("mode", "dera needs both 'ref' and 'aligned' models") }
            if alignedSystem != nil, case .tokens = input {
                return problem("aligned_system", "applies to messages only, not input_ids")
            }
        case .plain, .inra, nil:
            if model == nil { return problem("model", "a model name is required") }
        }
        if let lambda {
            if effectiveMode == .plain { return problem("lambda", "a plain model takes no lambda; use mode inra or dera") }
            if !lambda.isFinite || !Self.lambdaRange.contains(lambda) { return problem("lambda", "\(lambda) is not a number in [-10, 10]") }
        }
        switch input {
        case .messages(let messages) where messages.isEmpty: return problem("messages", "at least one message is required")
        case .tokens(let ids) where ids.isEmpty: return problem("input_ids", "at least one token id is required")
        case .tokens(let ids) where ids.contains { $0 < 0 }: return problem("input_ids", "token ids must not be negative")
        default: break
        }
        if let maxTokens, maxTokens < 1 { return problem("max_tokens", "\(maxTokens) must be at least 1") }
        if let temperature, !(temperature >= 0 && temperature.isFinite) { return problem("temperature", "\(temperature) must be a finite number >= 0") }
        if let topP, !(topP > 0 && topP <= 1) { return problem("top_p", "\(topP) must be in (0, 1]") }
        if let topK, topK < 0 { return problem("top_k", "\(topK) must be >= 0 (0 is off)") }
        if let minP, !(minP >= 0 && minP <= 1) { return problem("min_p", "\(minP) must be in [0, 1]") }
        // JSON integers here are 64-bit signed; a larger seed would lose digits on the wire.
        if let seed, seed > UInt64(Int64.max) { return problem("seed", "\(seed) must be below 2^63") }
        if stop.count > Self.maximumStopStrings { return problem("stop", "at most \(Self.maximumStopStrings) stop strings, not \(stop.count)") }
        if stop.contains(where: \.isEmpty) { return problem("stop", "stop strings must not be empty") }
        return nil
    }

    public var jsonValue: JSONValue {
        var members: [JSONMember] = []
        func add(_ key: String, _ value: JSONValue?) {
            if let value { members.append(JSONMember(key, value)) }
        }
        add("model", model.map { .string($0) })
        add("ref", ref.map { .string($0) })
        add("aligned", aligned.map { .string($0) })
        add("aligned_system", alignedSystem.map { .string($0) })
        add("mode", mode.map { .string($0.rawValue) })
        add("lambda", lambda.map { .double($0) })
        switch input {
        case .messages(let messages):
            add("messages", .array(messages.map {
                .object([JSONMember("role", .string($0.role)), JSONMember("content", .string($0.content))])
            }))
        case .prompt(let text):
            add("prompt", .string(text))
        case .tokens(let ids):
            add("input_ids", .array(ids.map { .integer(Int64($0)) }))
        }
        add("max_tokens", maxTokens.map { .integer(Int64($0)) })
        add("temperature", temperature.map { .double($0) })
        add("top_p", topP.map { .double($0) })
        add("top_k", topK.map { .integer(Int64($0)) })
        add("min_p", minP.map { .double($0) })
        add("seed", seed.map { .integer(Int64(clamping: $0)) })
        if !stop.isEmpty { add("stop", .array(stop.map { .string($0) })) }
        if !stopTokenIDs.isEmpty { add("stop_token_ids", .array(stopTokenIDs.map { .integer(Int64($0)) })) }
        add("stream", .bool(stream))
        return .object(members)
    }

    /// The whole request: the envelope every job shares around this body.
    public func requestBytes(id: String, replyTo: String, deadlineMs: Int64 = 0) -> [UInt8] {
        JSONValue.object([
            JSONMember("schema", .integer(TeacherJob.schema)),
            JSONMember("id", .string(id)),
            JSONMember("kind", .string(JobKind.generate.rawValue)),
            JSONMember("reply_to", .string(replyTo)),
            JSONMember("deadline_ms", .integer(deadlineMs)),
            JSONMember(JobKind.generate.rawValue, jsonValue),
        ]).jsonBytes
    }
}
