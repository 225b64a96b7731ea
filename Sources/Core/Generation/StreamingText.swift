/// The generated text of one sequence as it streams: token bytes through the UTF-8
/// decoder, then the stop-string matcher. Every piece it releases is whole characters
/// and contains no part of a stop string.
struct StreamingText {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var decoder = UTF8StreamDecoder()
    private var matcher: StopStringMatcher
    /// Everything released so far.
    private(set) var text: [UInt8] = []

    init(tokenizer: Tokenizer, stopStrings: [String], skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
        matcher = StopStringMatcher(stopStrings: stopStrings)
    }

    /// The text released by one more token, and whether it completed a stop string.
    mutating func append(token: Int32) -> (text: String, stopped: Bool) {
        let complete = decoder.append(tokenizer.decodeBytes([token], skipSpecial: skipSpecialTokens))
        let (released, stopped) = matcher.append(complete)
        text += released
        return (String(decoding: released, as: UTF8.self), stopped)
    }

    /// The text still held, released when generation ends for another reason.
    mutating func finish() -> String {
        let tail = matcher.append(decoder.finish()).released + matcher.finish()
        text += tail
        return String(decoding: tail, as: UTF8.self)
    }
}
