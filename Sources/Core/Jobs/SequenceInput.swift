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

/// What is wrong with one sequence, before it is placed in a job or dataset context.
public struct SequenceProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: JobErrorCode
    public var problem: String

    public var description: String { "\(code.rawValue): \(problem)" }
}

extension SequenceInput {
    public static let roles: Set<String> = ["system", "user", "assistant"]

    /// The checks one sequence must pass on its own: known roles and an assistant's last
    /// message; non-negative token ids and `1 <= promptLen <= len - 1`.
    public func check() throws(SequenceProblem) {
        switch self {
        case .messages(_, let messages):
            guard let last = messages.last else { throw SequenceProblem(code: .badSequence, problem: "'messages' is empty") }
            if let unknown = messages.first(where: { !Self.roles.contains($0.role) }) {
                throw SequenceProblem(code: .badSequence, problem: "role \"\(unknown.role)\" is not system, user or assistant")
            }
            guard last.role == "assistant" else {
                throw SequenceProblem(code: .badSequence, problem: "the last message is the \(last.role)'s, not the assistant's")
            }
        case .promptResponse:
            break
        case .tokens(_, let inputIDs, let promptLen):
            if let bad = inputIDs.first(where: { $0 < 0 }) {
                throw SequenceProblem(code: .tokenOutOfRange, problem: "token id \(bad) is negative")
            }
            guard promptLen >= 1, promptLen <= inputIDs.count - 1 else {
                throw SequenceProblem(code: .badPromptLen, problem: "'prompt_len' \(promptLen) is not in [1, \(inputIDs.count - 1)] for \(inputIDs.count) tokens")
            }
        }
    }
}
