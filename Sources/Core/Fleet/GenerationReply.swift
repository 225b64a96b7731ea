/// The JSON replies of a generation request (docs/generation.md, "Replies").
enum GenerationReply {
    static func chunk(id: String, attempt: String, seq: Int, text: String, tokenIDs: [Int32]) -> JSONValue {
        .object([
            JSONMember("id", .string(id)), JSONMember("attempt", .string(attempt)), JSONMember("seq", .integer(Int64(seq))),
            JSONMember("text", .string(text)), JSONMember("token_ids", tokens(tokenIDs)), JSONMember("done", .bool(false)),
        ])
    }

    /// The final message: the whole completion, why it ended, what ran it, and the usage.
    /// A `dera` request names `ref` and `aligned`; `plain` has no `lambda`.
    static func final(id: String, attempt: String, seq: Int, text: String, tokenIDs: [Int32], finishReason: FinishReason,
                      models: GenerationJob.Models, mode: GenerationMode, lambda: Double?, promptTokens: Int) -> JSONValue {
        var members = [
            JSONMember("id", .string(id)), JSONMember("attempt", .string(attempt)), JSONMember("seq", .integer(Int64(seq))),
            JSONMember("done", .bool(true)), JSONMember("text", .string(text)), JSONMember("token_ids", tokens(tokenIDs)),
            JSONMember("finish_reason", .string(finishReason.rawValue)),
        ]
        switch models {
        case .single(let name):
            members.append(JSONMember("model", .string(name)))
        case .pair(let ref, let aligned):
            members += [JSONMember("ref", .string(ref)), JSONMember("aligned", .string(aligned))]
        }
        members.append(JSONMember("mode", .string(mode.rawValue)))
        if let lambda { members.append(JSONMember("lambda", .double(lambda))) }
        members.append(JSONMember("usage", .object([
            JSONMember("prompt_tokens", .integer(Int64(promptTokens))),
            JSONMember("completion_tokens", .integer(Int64(tokenIDs.count))),
            JSONMember("total_tokens", .integer(Int64(promptTokens + tokenIDs.count))),
        ])))
        return .object(members)
    }

    private static func tokens(_ ids: [Int32]) -> JSONValue { .array(ids.map { .integer(Int64($0)) }) }
}
