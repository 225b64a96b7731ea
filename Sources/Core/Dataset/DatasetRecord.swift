/// Turns one dataset record into a sequence. Recognised forms, tried in this order:
/// - pre-tokenized: `input_ids` and `prompt_len`;
/// - ShareGPT: `conversations` of `{"from", "value"}`, `from` in human/user, gpt/assistant,
///   system (an optional top-level `system` string is the system message);
/// - chat: `messages` of `{"role", "content"}` (optional top-level `system` likewise);
/// - Alpaca: `instruction`, optional `input`, `output`, optional `system`; the user turn is
///   `instruction + "\n" + input`, or `instruction` alone when `input` is empty;
/// - plain: `prompt` and `response`.
/// The id is the record's `id` (a string, or an integer as decimal text) or else the
/// record's 0-based index.
///
/// A record of a known form whose content fails `SequenceInput.check()` (a bad
/// `prompt_len`, a last message that is not the assistant's) is read as it is: its job
/// judges it, so it fails alone and is listed in the manifest while the run goes on.
enum DatasetRecord {
    static func sequence(from record: JSONValue, index: Int) throws(SequenceProblem) -> SequenceInput {
        func problem(_ text: String) -> SequenceProblem { SequenceProblem(code: .badSequence, problem: text) }
        guard case .object = record else { throw problem("a record must be a JSON object, not \(record.typeName)") }
        let id: String
        if let idValue = record["id"] {
            guard let text = JobDecoder.idString(idValue) else { throw problem("'id' must be a string or an integer, not \(idValue.jsonText)") }
            id = text
        } else {
            id = String(index)
        }
        func string(_ key: String, required: Bool = true) throws(SequenceProblem) -> String? {
            guard let value = record[key], value != .null else {
                if required { throw problem("'\(key)' is missing") }
                return nil
            }
            guard let text = value.stringValue else { throw problem("'\(key)' must be a string, not \(value.typeName)") }
            return text
        }
        let systemMessage = try string("system", required: false).map { ChatMessage(role: "system", content: $0) }

        let sequence: SequenceInput
        if record["input_ids"] != nil {
            var tokenRecord = record.objectMembers ?? []
            tokenRecord.append(JSONMember("id", .string(id)))
            sequence = try JobDecoder.readSequence(.object(tokenRecord.filter { ["id", "input_ids", "prompt_len"].contains($0.key) }))
        } else if let conversations = record["conversations"] {
            guard let turns = conversations.arrayValue else { throw problem("'conversations' must be an array, not \(conversations.typeName)") }
            var messages = systemMessage.map { [$0] } ?? []
            for (turnIndex, turn) in turns.enumerated() {
                guard let from = turn["from"]?.stringValue, let value = turn["value"]?.stringValue else {
                    throw problem("conversation turn \(turnIndex) needs string 'from' and 'value'")
                }
                guard let role = shareGPTRoles[from] else {
                    throw problem("conversation turn \(turnIndex): 'from' \"\(from)\" is not human, user, gpt, assistant or system")
                }
                messages.append(ChatMessage(role: role, content: value))
            }
            sequence = .messages(id: id, messages)
        } else if let messagesValue = record["messages"] {
            let messages = try JobDecoder.readMessages(messagesValue)
            let hasSystem = messages.first?.role == "system"
            sequence = .messages(id: id, (hasSystem ? [] : systemMessage.map { [$0] } ?? []) + messages)
        } else if record["instruction"] != nil {
            let instruction = try string("instruction")!
            let input = try string("input", required: false) ?? ""
            let output = try string("output")!
            let user = input.isEmpty ? instruction : instruction + "\n" + input
            sequence = .messages(id: id, (systemMessage.map { [$0] } ?? []) + [
                ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: output),
            ])
        } else if record["prompt"] != nil || record["response"] != nil {
            sequence = .promptResponse(id: id, prompt: try string("prompt")!, response: try string("response")!)
        } else {
            let keys = (record.objectMembers ?? []).map(\.key).joined(separator: ", ")
            throw problem("not a known record form (keys: \(keys)); expected alpaca instruction/input/output, sharegpt conversations or messages, prompt/response, or input_ids/prompt_len")
        }
        return sequence
    }

    static let shareGPTRoles = [
        "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
    ]
}
