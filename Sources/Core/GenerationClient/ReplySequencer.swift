/// Turns one request's replies, from any number of attempts and in any interleaving,
/// into the events its caller sees, each once (docs/generation.md): every execution
/// generates the same tokens, so a reply at or below the highest `seq` already shown is
/// a repeat whatever its `attempt`. The final message also releases whatever text the
/// chunks had not (all of it without streaming).
struct ReplySequencer: Sendable {
    private(set) var shownSeq = -1
    private(set) var shownText = ""
    private var shownTokens = 0
    private(set) var isFinished = false

    /// The events a reply adds; empty for a repeat or anything after the final message.
    mutating func accept(_ reply: GenerateReply) -> [GenerationEvent] {
        guard !isFinished else { return [] }
        switch reply {
        case .chunk(let chunk):
            guard chunk.seq > shownSeq else { return [] }
            shownSeq = chunk.seq
            shownText += chunk.text
            shownTokens += chunk.tokenIDs.count
            return [.text(chunk.text, tokenIDs: chunk.tokenIDs)]
        case .final(let final):
            guard final.seq > shownSeq else { return [] }
            shownSeq = final.seq
            isFinished = true
            var events: [GenerationEvent] = []
            // The text the chunks held back (a possible stop string that was not one)
            // or never carried; a final that does not extend them has nothing to add.
            if final.text.hasPrefix(shownText), final.text.count > shownText.count || final.tokenIDs.count > shownTokens {
                let rest = String(final.text.dropFirst(shownText.count))
                events.append(.text(rest, tokenIDs: Array(final.tokenIDs.dropFirst(min(shownTokens, final.tokenIDs.count)))))
            }
            events.append(.finished(final))
            return events
        case .failure:
            isFinished = true
            return []
        }
    }
}
