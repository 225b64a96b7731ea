/// The fixed list of error codes a worker replies with (the `error.code` of an error
/// reply and the DLQ header). Codes are part of the wire contract: add, never rename.
public enum JobErrorCode: String, Sendable, Equatable, CaseIterable, Codable {
    /// Not UTF-8 JSON, not an object, or a required field missing or of the wrong type.
    case malformedJSON = "malformed_json"
    /// `schema` absent or not 1.
    case unknownSchema = "unknown_schema"
    /// `kind` is not one this worker knows.
    case unknownKind = "unknown_kind"
    /// `ref` or `aligned` names a model the worker was not started with.
    case unknownModel = "unknown_model"
    /// `ref` and `aligned` do not share a tokenizer.
    case tokenizerMismatch = "tokenizer_mismatch"
    /// A pre-tokenized id is negative or not below the vocabulary size.
    case tokenOutOfRange = "token_out_of_range"
    /// `prompt_len` outside `1 ... len - 1`.
    case badPromptLen = "bad_prompt_len"
    /// A sequence is longer than the model's context.
    case tooLong = "too_long"
    /// A lambda missing, not a finite number, outside [-10, 10], or duplicated.
    case badLambda = "bad_lambda"
    /// `top_k` missing or outside [1, 1024].
    case badTopK = "bad_top_k"
    /// A sequence in none of the three forms, with a bad field, a last message that is not
    /// the assistant's, a duplicate id, or `input_ids` in a job with `aligned_system`.
    case badSequence = "bad_sequence"
    /// `reply_to` missing or not a legal Kafka topic name.
    case badReplyTo = "bad_reply_to"
    /// The reply would exceed the broker's message size.
    case replyTooLarge = "reply_too_large"
    /// `deadline_ms` has passed.
    case expired = "expired"
    /// Anything else: a bug or a resource failure in the worker.
    case `internal` = "internal"
    /// A generation request's sampling field out of range or of the wrong type
    /// (`max_tokens`, `temperature`, `top_p`, `top_k`, `min_p`, `seed`, `stop`,
    /// `stop_token_ids`).
    case badSampling = "bad_sampling"
    /// An unknown generation mode, or one the request or its models cannot run (`inra` on
    /// a model without an adapter, `plain` with `ref`/`aligned`, `aligned_system` outside
    /// `dera`).
    case badMode = "bad_mode"
    /// The generation request was cancelled (a cancel on the control topic); its error
    /// reply is not copied to the DLQ.
    case cancelled = "cancelled"
}
