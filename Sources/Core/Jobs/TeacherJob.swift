import Foundation

/// A teacher job: score `sequences` under the fused logits of `ref` and `aligned` at each
/// of `lambdas`, reply with the top-`topK` teacher distribution at every response row.
public struct TeacherJob: Sendable, Equatable {
    public static let schema: Int64 = 1
    public static let lambdaRange: ClosedRange<Double> = -10...10
    public static let topKRange: ClosedRange<Int> = 1...1024

    public var id: String
    public var replyTo: String
    /// Absolute Unix time in milliseconds; 0 means no deadline.
    public var deadlineMs: Int64
    public var ref: String
    public var aligned: String
    /// The system message of the aligned view (text forms only).
    public var alignedSystem: String?
    public var lambdas: [Double]
    public var topK: Int
    public var sequences: [SequenceInput]
    /// When set, a sequence longer than this many tokens has its response truncated to
    /// fit (`realign teacher --cutoff-len`); without it, such a sequence is `too_long`.
    public var cutoffLen: Int?

    public init(id: String, replyTo: String, deadlineMs: Int64 = 0, ref: String, aligned: String,
                alignedSystem: String? = nil, lambdas: [Double], topK: Int, sequences: [SequenceInput],
                cutoffLen: Int? = nil) {
        self.id = id
        self.replyTo = replyTo
        self.deadlineMs = deadlineMs
        self.ref = ref
        self.aligned = aligned
        self.alignedSystem = alignedSystem
        self.lambdas = lambdas
        self.topK = topK
        self.sequences = sequences
        self.cutoffLen = cutoffLen
    }

    /// The tensor-name tags of `lambdas`, in job order.
    public var lambdaTags: [String] { lambdas.map(LambdaTag.tag(for:)) }

    public func isExpired(nowMs: Int64) -> Bool {
        deadlineMs > 0 && nowMs >= deadlineMs
    }

    /// The checks that need no model: everything `JobDecoder` enforces after parsing.
    public func validate() throws(JobError) {
        func fail(_ code: JobErrorCode, _ message: String) -> JobError {
            JobError(code, message, jobID: id, replyTo: Topics.isLegalTopicName(replyTo) ? replyTo : nil)
        }
        guard !id.isEmpty else { throw fail(.malformedJSON, "'id' must not be empty") }
        guard Topics.isLegalTopicName(replyTo) else {
            throw fail(.badReplyTo, "'reply_to' \"\(replyTo)\" is not a legal Kafka topic name (1 to 249 characters of [a-zA-Z0-9._-], not '.' or '..')")
        }
        guard deadlineMs >= 0 else { throw fail(.malformedJSON, "'deadline_ms' must not be negative") }
        guard !ref.isEmpty, !aligned.isEmpty else { throw fail(.malformedJSON, "'ref' and 'aligned' must name models") }
        guard !lambdas.isEmpty else { throw fail(.badLambda, "at least one lambda is required") }
        for (index, lambda) in lambdas.enumerated() {
            guard lambda.isFinite, Self.lambdaRange.contains(lambda) else {
                throw fail(.badLambda, "lambda \(lambda) is not a finite number in [-10, 10]")
            }
            if lambdas[..<index].contains(lambda) {
                throw fail(.badLambda, "lambda \(LambdaTag.tag(for: lambda)) is given twice")
            }
        }
        guard Self.topKRange.contains(topK) else { throw fail(.badTopK, "'top_k' \(topK) is not in [1, 1024]") }
        guard !sequences.isEmpty else { throw fail(.badSequence, "'sequences' is empty") }
        if let cutoffLen, cutoffLen < 2 { throw fail(.tooLong, "'cutoff_len' \(cutoffLen) leaves no room for a prompt and a response") }
        var seen = Set<String>()
        for (index, sequence) in sequences.enumerated() {
            let name = "sequence \(index) (id \"\(sequence.id)\")"
            guard seen.insert(sequence.id).inserted else { throw fail(.badSequence, "\(name): the id is used twice in the job") }
            if alignedSystem != nil, !sequence.isText {
                throw fail(.badSequence, "\(name): 'aligned_system' applies to text forms only, not 'input_ids'")
            }
            do {
                try sequence.check()
            } catch {
                throw fail(error.code, "\(name): \(error.problem)")
            }
        }
    }

    /// The pre-tokenized ids must be below the models' vocabulary size.
    public func checkTokens(vocabularySize: Int) throws(JobError) {
        for (index, sequence) in sequences.enumerated() {
            guard case .tokens(let sequenceID, let inputIDs, _) = sequence else { continue }
            if let bad = inputIDs.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw JobError(.tokenOutOfRange,
                               "sequence \(index) (id \"\(sequenceID)\"): token id \(bad) is not in [0, \(vocabularySize))",
                               jobID: id, replyTo: replyTo)
            }
        }
    }

    /// The job in its documented JSON form (the `kcat -P` format).
    public var jsonValue: JSONValue {
        var body: [JSONMember] = [JSONMember("ref", .string(ref)), JSONMember("aligned", .string(aligned))]
        if let alignedSystem { body.append(JSONMember("aligned_system", .string(alignedSystem))) }
        body.append(JSONMember("lambdas", .array(lambdas.map { .double($0) })))
        body.append(JSONMember("top_k", .integer(Int64(topK))))
        if let cutoffLen { body.append(JSONMember("cutoff_len", .integer(Int64(cutoffLen)))) }
        body.append(JSONMember("sequences", .array(sequences.map(Self.jsonValue(of:)))))
        return .object([
            JSONMember("schema", .integer(Self.schema)),
            JSONMember("id", .string(id)),
            JSONMember("kind", .string(JobKind.teacher.rawValue)),
            JSONMember("reply_to", .string(replyTo)),
            JSONMember("deadline_ms", .integer(deadlineMs)),
            JSONMember("teacher", .object(body)),
        ])
    }

    public func jsonBytes() -> [UInt8] {
        jsonValue.jsonBytes
    }

    static func jsonValue(of sequence: SequenceInput) -> JSONValue {
        switch sequence {
        case .messages(let id, let messages):
            return .object([
                JSONMember("id", .string(id)),
                JSONMember("messages", .array(messages.map {
                    .object([JSONMember("role", .string($0.role)), JSONMember("content", .string($0.content))])
                })),
            ])
        case .promptResponse(let id, let prompt, let response):
            return .object([JSONMember("id", .string(id)), JSONMember("prompt", .string(prompt)),
                            JSONMember("response", .string(response))])
        case .tokens(let id, let inputIDs, let promptLen):
            return .object([JSONMember("id", .string(id)),
                            JSONMember("input_ids", .array(inputIDs.map { .integer(Int64($0)) })),
                            JSONMember("prompt_len", .integer(Int64(promptLen)))])
        }
    }
}

extension Date {
    /// Milliseconds since the Unix epoch, the unit of `deadline_ms`.
    public var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}
