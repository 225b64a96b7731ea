/// One sequence of a teacher job, in the form it was given.
public enum SequenceInput: Sendable, Equatable {
    /// Chat turns; the last is the assistant's and is the response.
    case messages(id: String, [ChatMessage])
    /// One user turn and the assistant's response.
    case promptResponse(id: String, prompt: String, response: String)
    /// Pre-tokenized: `inputIDs[0 ..< promptLen]` is the prompt, the rest the response.
    case tokens(id: String, inputIDs: [Int32], promptLen: Int)

    public var id: String {
        switch self {
        case .messages(let id, _), .promptResponse(let id, _, _), .tokens(let id, _, _): return id
        }
    }

    public var isText: Bool {
        if case .tokens = self { return false }
        return true
    }
}
