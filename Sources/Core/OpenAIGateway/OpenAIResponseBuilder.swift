/// The JSON a gateway answers one request with, in OpenAI's shapes: a whole
/// `chat.completion` / `text_completion`, or the chunks of a stream, framed as
/// server-sent events. Besides OpenAI's fields a response carries `realign`:
/// `{"mode", "lambda"}` as the worker reported them.
public struct OpenAIResponseBuilder: Sendable {
    public let endpoint: OpenAIRequest.Endpoint
    /// `chatcmpl-...` or `cmpl-...`, made from the Kafka request id.
    public let id: String
    public let model: String
    /// Unix seconds.
    public let created: Int64

    public init(endpoint: OpenAIRequest.Endpoint, requestID: String, model: String, created: Int64) {
        self.endpoint = endpoint
        let stem = String(requestID.map { $0 == "/" ? "-" : $0 })
        id = (endpoint == .chatCompletions ? "chatcmpl-" : "cmpl-") + stem
        self.model = model
        self.created = created
    }

    private var object: String { endpoint == .chatCompletions ? "chat.completion" : "text_completion" }
    private var chunkObject: String { endpoint == .chatCompletions ? "chat.completion.chunk" : "text_completion" }

    public static func usage(_ usage: GenerateReply.Usage) -> JSONValue {
        .object([
            JSONMember("prompt_tokens", .integer(Int64(usage.promptTokens))),
            JSONMember("completion_tokens", .integer(Int64(usage.completionTokens))),
            JSONMember("total_tokens", .integer(Int64(usage.totalTokens))),
        ])
    }

    private static func realign(_ final: GenerateReply.Final) -> JSONValue {
        .object([
            JSONMember("mode", final.mode.map { .string($0) } ?? .null),
            JSONMember("lambda", final.lambda.map { .double($0) } ?? .null),
        ])
    }

    private func envelope(object: String, choices: [JSONValue], extra: [JSONMember] = []) -> JSONValue {
        .object([
            JSONMember("id", .string(id)), JSONMember("object", .string(object)), JSONMember("created", .integer(created)),
            JSONMember("model", .string(model)), JSONMember("choices", .array(choices)),
        ] + extra)
    }

    /// The whole response of a request without `stream`.
    public func completion(_ final: GenerateReply.Final) -> JSONValue {
        let choice: [JSONMember] = endpoint == .chatCompletions
            ? [JSONMember("index", .integer(0)),
               JSONMember("message", .object([JSONMember("role", .string("assistant")), JSONMember("content", .string(final.text))])),
               JSONMember("logprobs", .null), JSONMember("finish_reason", .string(final.finishReason))]
            : [JSONMember("index", .integer(0)), JSONMember("text", .string(final.text)),
               JSONMember("logprobs", .null), JSONMember("finish_reason", .string(final.finishReason))]
        return envelope(object: object, choices: [.object(choice)],
                        extra: [JSONMember("usage", Self.usage(final.usage)), JSONMember("realign", Self.realign(final))])
    }

    /// A stream chunk: new text, or (with `finishReason`) the last choice chunk.
    /// `role` opens a chat stream (`delta: {"role": "assistant", "content": ""}`).
    public func chunk(text: String, finishReason: String? = nil, role: Bool = false) -> JSONValue {
        var choice = [JSONMember("index", .integer(0))]
        if endpoint == .chatCompletions {
            var delta: [JSONMember] = []
            if role { delta.append(JSONMember("role", .string("assistant"))) }
            if role || !text.isEmpty || finishReason == nil { delta.append(JSONMember("content", .string(text))) }
            choice.append(JSONMember("delta", .object(delta)))
        } else {
            choice.append(JSONMember("text", .string(text)))
        }
        choice += [JSONMember("logprobs", .null), JSONMember("finish_reason", finishReason.map { .string($0) } ?? .null)]
        return envelope(object: chunkObject, choices: [.object(choice)])
    }

    /// The last chunk of a stream that asked for usage (`stream_options.include_usage`):
    /// no choices, the usage, and realign's fields.
    public func usageChunk(_ final: GenerateReply.Final) -> JSONValue {
        envelope(object: chunkObject, choices: [],
                 extra: [JSONMember("usage", Self.usage(final.usage)), JSONMember("realign", Self.realign(final))])
    }

    /// One server-sent event: `data: <json>` and a blank line.
    public static func event(_ value: JSONValue) -> [UInt8] {
        Array("data: ".utf8) + value.jsonBytes + Array("\n\n".utf8)
    }

    /// The end of a stream, as OpenAI sends it.
    public static let done = Array("data: [DONE]\n\n".utf8)
}
