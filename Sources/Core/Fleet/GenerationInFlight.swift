import Foundation

/// One generation request a worker is running: where it came from (for its offset, its
/// error reply and DLQ copy) and what it has generated and sent so far.
final class GenerationInFlight {
    /// Tokens per streamed chunk.
    static let chunkTokens = 4

    let message: KafkaMessage
    let job: GenerationJob
    let prepared: PreparedGeneration
    let jobSHA: String
    let attempt: String
    let started = Date()
    private var seq = 0
    private var chunkTokenIDs: [Int32] = []
    private var chunkText = ""
    private(set) var tokenIDs: [Int32] = []
    private(set) var text = ""
    private(set) var finishReason: FinishReason?

    init(message: KafkaMessage, job: GenerationJob, prepared: PreparedGeneration, jobSHA: String, attempt: String) {
        self.message = message
        self.job = job
        self.prepared = prepared
        self.jobSHA = jobSHA
        self.attempt = attempt
    }

    var id: String { job.id }

    /// Takes one decode step's update and returns the replies now due, in order: a
    /// chunk every `chunkTokens` tokens (with `stream`), then, when it finished, the
    /// rest as a last chunk and the final message.
    func absorb(_ update: GenerationUpdate) -> [JSONValue] {
        tokenIDs.append(update.tokenId)
        text += update.text
        finishReason = update.finishReason
        var replies: [JSONValue] = []
        if job.stream {
            chunkTokenIDs.append(update.tokenId)
            chunkText += update.text
            if chunkTokenIDs.count == Self.chunkTokens || (update.finishReason != nil && !chunkTokenIDs.isEmpty) {
                replies.append(GenerationReply.chunk(id: id, attempt: attempt, seq: seq, text: chunkText, tokenIDs: chunkTokenIDs))
                seq += 1
                chunkTokenIDs = []
                chunkText = ""
            }
        }
        if let reason = update.finishReason {
            replies.append(GenerationReply.final(
                id: id, attempt: attempt, seq: seq, text: text, tokenIDs: tokenIDs, finishReason: reason,
                models: job.models, mode: prepared.mode, lambda: prepared.lambda, promptTokens: prepared.request.promptIds.count))
            seq += 1
        }
        return replies
    }
}
