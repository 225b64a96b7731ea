@testable import Core

/// One bad job for a worker serving `smol` (SmolLM2, vocabulary 49152, context 8192)
/// and `tiny` (another tokenizer), and what the worker must answer.
struct BadJobCase: Sendable, CustomStringConvertible {
    var name: String
    var bytes: [UInt8]
    /// The Kafka key: the job's id where it has one (the contract), else a case name.
    var key: [UInt8]
    var code: JobErrorCode
    /// Whether an error reply goes to `reply_to`; false when the job's reply topic cannot
    /// be read (the job then only lands in the DLQ).
    var replies: Bool
    /// The `id` of the error reply (nil: JSON null, the job's id was unreadable).
    var replyID: String?
    /// A part of the error message that names what was wrong.
    var messageFragment: String

    var description: String { name }
}

extension BadJobCase {
    static let smolVocabulary = 49152
    static let smolContext = 8192
    static let prompt = #"{"id": "s0", "prompt": "What is 2+2?", "response": "4."}"#

    /// A teacher job in the contract's JSON, with the given raw JSON fragments.
    static func jobText(id: String, replyTo: String, schema: String = "1", kind: String = "teacher",
                        deadline: String = "0", body: String) -> String {
        #"{"schema": \#(schema), "id": "\#(id)", "kind": "\#(kind)", "reply_to": "\#(replyTo)", "deadline_ms": \#(deadline), "\#(kind)": {\#(body)}}"#
    }

    static func teacherBody(ref: String = "smol", aligned: String = "smol", alignedSystem: String? = nil,
                            lambdas: String = #""lambdas": [0.5, 2.0]"#, topK: String = "8",
                            sequences: String = prompt) -> String {
        let system = alignedSystem.map { #""aligned_system": "\#($0)", "# } ?? ""
        return #""ref": "\#(ref)", "aligned": "\#(aligned)", \#(system)\#(lambdas), "top_k": \#(topK), "sequences": [\#(sequences)]"#
    }

    static func tokens(_ ids: [Int], promptLen: Int) -> String {
        #"{"id": "t0", "input_ids": [\#(ids.map(String.init).joined(separator: ","))], "prompt_len": \#(promptLen)}"#
    }

    /// A well-formed job with a readable id and reply topic that fails with `code`.
    static func replying(_ name: String, _ code: JobErrorCode, _ fragment: String, schema: String = "1",
                         kind: String = "teacher", deadline: String = "0", body: String, replyTo: String) -> BadJobCase {
        let id = "bad-\(name)"
        let text = jobText(id: id, replyTo: replyTo, schema: schema, kind: kind, deadline: deadline, body: body)
        return BadJobCase(name: name, bytes: Array(text.utf8), key: Array(id.utf8), code: code, replies: true,
                          replyID: id, messageFragment: fragment)
    }

    /// A job whose reply topic cannot be read: it only lands in the DLQ.
    static func deadLetterOnly(_ name: String, _ code: JobErrorCode, _ fragment: String, bytes: [UInt8]) -> BadJobCase {
        BadJobCase(name: name, bytes: bytes, key: Array("dlq-\(name)".utf8), code: code, replies: false,
                   replyID: nil, messageFragment: fragment)
    }

    /// Every case of the issue's list, replying to `replyTo`, for a worker on `topics`.
    static func all(replyTo: String, topics: Topics) -> [BadJobCase] {
        let good = teacherBody()
        let longSequence = tokens(Array(repeating: 42, count: smolContext + 1), promptLen: 1)
        // 300 response rows of top 1024 at 4 lambdas: (8 * 1024 + 4) * 4 + 8 bytes a row, ~9.8 MB.
        let wideSequence = tokens(Array(repeating: 42, count: 301), promptLen: 1)
        return [
            deadLetterOnly("truncated-json", .malformedJSON, "invalid JSON at byte",
                           bytes: Array(#"{"schema": 1, "id": "truncated", "kind": "teacher", "reply_to": "\#(replyTo)", "teacher": {"ref": "smol""#.utf8)),
            deadLetterOnly("not-utf8", .malformedJSON, "invalid JSON at byte", bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]),
            deadLetterOnly("json-array", .malformedJSON, "a job must be a JSON object, not an array",
                           bytes: Array(#"[{"id": "in-array", "reply_to": "\#(replyTo)"}]"#.utf8)),
            // JSON has no NaN or infinities, but Python's `json.dumps(float("nan"))`
            // writes `NaN` and 1e400 overflows a double: both read as non-finite lambdas.
            replying("lambda-nan-literal", .badLambda, "is not a finite number",
                     body: teacherBody(lambdas: #""lambdas": [NaN]"#), replyTo: replyTo),
            replying("lambda-1e400", .badLambda, "is not a finite number",
                     body: teacherBody(lambdas: #""lambdas": [1e400]"#), replyTo: replyTo),
            deadLetterOnly("illegal-reply-to", .badReplyTo, "is not a legal Kafka topic name",
                           bytes: Array(jobText(id: "illegal-reply-to", replyTo: "replies to me", body: good).utf8)),
            // Its reply would come back to the worker as a job.
            deadLetterOnly("reply-to-the-jobs-topic", .badReplyTo, "'reply_to' \(topics.jobs) is one of the fleet's own topics",
                           bytes: Array(jobText(id: "reply-to-jobs", replyTo: topics.jobs, body: good).utf8)),
            deadLetterOnly("reply-to-consumer-offsets", .badReplyTo, "'reply_to' __consumer_offsets is an internal topic of the cluster",
                           bytes: Array(jobText(id: "reply-to-offsets", replyTo: "__consumer_offsets", body: good).utf8)),
            BadJobCase(name: "missing-id", bytes: Array(#"{"schema": 1, "kind": "teacher", "reply_to": "\#(replyTo)", "teacher": {\#(good)}}"#.utf8),
                       key: Array("no-id".utf8), code: .malformedJSON, replies: true, replyID: nil,
                       messageFragment: "'id' is missing"),
            replying("schema-2", .unknownSchema, "'schema' is 2; this worker reads schema 1", schema: "2", body: good, replyTo: replyTo),
            replying("schema-string", .unknownSchema, #"'schema' is "1""#, schema: #""1""#, body: good, replyTo: replyTo),
            replying("kind-embed", .unknownKind, #"'kind' "embed" is not one of teacher, generate"#, kind: "embed", body: good, replyTo: replyTo),
            replying("kind-generate", .unknownKind, "a 'generate' job is not a teacher job", kind: "generate", body: good, replyTo: replyTo),
            replying("unknown-model", .unknownModel, #"model "llama-70b" is not served by this worker (it serves: smol, tiny)"#,
                     body: teacherBody(aligned: "llama-70b"), replyTo: replyTo),
            replying("tokenizer-mismatch", .tokenizerMismatch, "models smol and tiny have different tokenizers",
                     body: teacherBody(aligned: "tiny"), replyTo: replyTo),
            replying("token-49152", .tokenOutOfRange, "token id \(smolVocabulary) is not in [0, \(smolVocabulary))",
                     body: teacherBody(sequences: tokens([1, 2, smolVocabulary], promptLen: 1)), replyTo: replyTo),
            replying("token-negative", .tokenOutOfRange, "token id -1 is out of range",
                     body: teacherBody(sequences: tokens([1, -1, 3], promptLen: 1)), replyTo: replyTo),
            replying("prompt-len-0", .badPromptLen, "'prompt_len' 0 is not in [1, 2] for 3 tokens",
                     body: teacherBody(sequences: tokens([1, 2, 3], promptLen: 0)), replyTo: replyTo),
            replying("prompt-len-len", .badPromptLen, "'prompt_len' 3 is not in [1, 2] for 3 tokens",
                     body: teacherBody(sequences: tokens([1, 2, 3], promptLen: 3)), replyTo: replyTo),
            replying("over-context", .tooLong, "has \(smolContext + 1) tokens (prompt 1) in the view of smol, over the limit of \(smolContext)",
                     body: teacherBody(sequences: longSequence), replyTo: replyTo),
            replying("lambda-nan-string", .badLambda, #"'teacher.lambdas' holds "NaN", not a number"#,
                     body: teacherBody(lambdas: #""lambdas": [0.5, "NaN"]"#), replyTo: replyTo),
            replying("lambda-10.5", .badLambda, "lambda 10.5 is not a finite number in [-10, 10]",
                     body: teacherBody(lambdas: #""lambdas": [10.5]"#), replyTo: replyTo),
            replying("lambda-minus-10.5", .badLambda, "lambda -10.5 is not a finite number in [-10, 10]",
                     body: teacherBody(lambdas: #""lambda": -10.5"#), replyTo: replyTo),
            replying("lambda-repeated", .badLambda, "lambda 2.0 is given twice",
                     body: teacherBody(lambdas: #""lambdas": [0.5, 2, 2.0]"#), replyTo: replyTo),
            replying("top-k-0", .badTopK, "'teacher.top_k' 0 is not an integer in [1, 1024]",
                     body: teacherBody(topK: "0"), replyTo: replyTo),
            replying("top-k-1025", .badTopK, "'teacher.top_k' 1025 is not an integer in [1, 1024]",
                     body: teacherBody(topK: "1025"), replyTo: replyTo),
            replying("aligned-system-with-input-ids", .badSequence, "'aligned_system' applies to text forms only, not 'input_ids'",
                     body: teacherBody(alignedSystem: "Be brief.", sequences: tokens([1, 2, 3], promptLen: 1)), replyTo: replyTo),
            replying("expired", .expired, "the deadline 1000 ms passed", deadline: "1000", body: good, replyTo: replyTo),
            replying("reply-too-large", .replyTooLarge, "(300 response rows, 4 lambdas, top 1024), over the limit of 1000000",
                     body: teacherBody(lambdas: #""lambdas": [0.0, 0.5, 1.0, 2.0]"#, topK: "1024", sequences: wideSequence),
                     replyTo: replyTo),
        ]
    }
}
