/// Splits a dataset into teacher jobs by a token budget. The split depends only on the
/// data and the budget, never on the fleet, so job ids are stable across runs and
/// resumes.
///
/// The coordinator does not tokenize: it bounds a sequence's tokens by its UTF-8 bytes
/// (a byte-level BPE token covers at least one byte) plus a margin for the chat
/// template and the system messages, so a job planned under the budget can only be
/// smaller than planned, and its reply fits the message size.
public enum JobPlanner {
    /// Tokens a template adds per message (role markers) and per sequence (default
    /// system message, generation prompt, end of turn).
    static let messageOverhead = 8
    static let sequenceOverhead = 96

    /// Safetensors header and metadata allowance when sizing jobs from the message limit.
    static let headerAllowance = 64 * 1024

    /// Upper bound of the tokens of one sequence, in the larger of its two views.
    public static func tokenBound(_ sequence: SequenceInput, alignedSystem: String?) -> Int {
        let system = alignedSystem?.utf8.count ?? 0
        switch sequence {
        case .tokens(_, let ids, _):
            return ids.count
        case .promptResponse(_, let prompt, let response):
            return prompt.utf8.count + response.utf8.count + system + 3 * messageOverhead + sequenceOverhead
        case .messages(_, let messages):
            return messages.reduce(system + sequenceOverhead + messageOverhead) { $0 + $1.content.utf8.count + messageOverhead }
        }
    }

    /// The largest job (in tokens) whose reply stays under `maxMessageBytes`: a response
    /// row costs `8k + 4` bytes per lambda, plus the row's input id and target id.
    public static func replyTokenBudget(lambdas: Int, topK: Int, maxMessageBytes: Int) -> Int {
        let perToken = 8 + lambdas * (8 * topK + 4)
        return max(1, (maxMessageBytes - headerAllowance) / perToken)
    }

    /// Consecutive ranges of sequence indices, each within `tokenBudget` (a sequence over
    /// the budget on its own gets a job of its own; the worker judges it).
    public static func plan(tokenBounds: [Int], tokenBudget: Int) -> [Range<Int>] {
        var jobs: [Range<Int>] = []
        var start = 0
        var tokens = 0
        for (index, bound) in tokenBounds.enumerated() {
            if index > start && tokens + bound > tokenBudget {
                jobs.append(start..<index)
                start = index
                tokens = 0
            }
            tokens += bound
        }
        if start < tokenBounds.count { jobs.append(start..<tokenBounds.count) }
        return jobs
    }
}
