/// A worker's reply to a generation request (docs/generation.md, "Replies"): a chunk of
/// a streamed completion, the final message, or an error reply.
public enum GenerateReply: Sendable, Equatable {
    case chunk(Chunk)
    case final(Final)
    case failure(Failure)

    public struct Chunk: Sendable, Equatable {
        public var id: String
        public var attempt: String
        public var seq: Int
        /// The text these tokens released (may be empty: held back for a stop string).
        public var text: String
        public var tokenIDs: [Int32]
    }

    public struct Usage: Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var totalTokens: Int { promptTokens + completionTokens }

        public init(promptTokens: Int, completionTokens: Int) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
        }
    }

    public struct Final: Sendable, Equatable {
        public var id: String
        public var attempt: String
        public var seq: Int
        /// The whole completion.
        public var text: String
        /// The whole completion's tokens, a final stop token included.
        public var tokenIDs: [Int32]
        /// `stop` or `length`.
        public var finishReason: String
        public var model: String?
        public var mode: String?
        public var lambda: Double?
        public var usage: Usage

        public init(id: String, attempt: String, seq: Int, text: String, tokenIDs: [Int32], finishReason: String,
                    model: String?, mode: String?, lambda: Double?, usage: Usage) {
            self.id = id
            self.attempt = attempt
            self.seq = seq
            self.text = text
            self.tokenIDs = tokenIDs
            self.finishReason = finishReason
            self.model = model
            self.mode = mode
            self.lambda = lambda
            self.usage = usage
        }
    }

    /// An error reply. The code is kept as text: a code added by a newer worker must
    /// still reach the user.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var id: String?
        public var code: String
        public var message: String

        public init(id: String?, code: String, message: String) {
            self.id = id
            self.code = code
            self.message = message
        }

        public var description: String { "\(code): \(message)" }
    }

    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "not a generation reply: \(reason)" }
    }

    public var id: String? {
        switch self {
        case .chunk(let chunk): chunk.id
        case .final(let final): final.id
        case .failure(let failure): failure.id
        }
    }

    /// Reads a reply's JSON; `isError` is the `realign-status: error` header (an error
    /// reply is recognised by its `error` object too).
    public static func decode(_ bytes: [UInt8], isError: Bool = false) throws(DecodingError) -> GenerateReply {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw DecodingError(reason: error.description)
        }
        guard case .object = root else { throw DecodingError(reason: "not a JSON object but \(root.typeName)") }
        let id = root["id"].flatMap(JobDecoder.idString)
        if isError || root["error"] != nil {
            guard let error = root["error"], let code = error["code"]?.stringValue else {
                throw DecodingError(reason: "an error reply needs 'error.code'")
            }
            return .failure(Failure(id: id, code: code, message: error["message"]?.stringValue ?? ""))
        }
        guard let id else { throw DecodingError(reason: "no string 'id'") }
        guard let seqValue = root["seq"]?.integerValue, let seq = Int(exactly: seqValue), seq >= 0 else {
            throw DecodingError(reason: "reply of \(id): no non-negative integer 'seq'")
        }
        let attempt = root["attempt"]?.stringValue ?? ""
        let text = root["text"]?.stringValue ?? ""
        var tokenIDs: [Int32] = []
        for element in root["token_ids"]?.arrayValue ?? [] {
            guard let token = element.integerValue.flatMap({ Int32(exactly: $0) }) else {
                throw DecodingError(reason: "reply of \(id): 'token_ids' holds \(element.jsonText)")
            }
            tokenIDs.append(token)
        }
        guard root["done"] == .bool(true) else {
            return .chunk(Chunk(id: id, attempt: attempt, seq: seq, text: text, tokenIDs: tokenIDs))
        }
        guard let finishReason = root["finish_reason"]?.stringValue else {
            throw DecodingError(reason: "final reply of \(id): no 'finish_reason'")
        }
        let usage = root["usage"]
        func count(_ key: String) -> Int { usage?[key]?.integerValue.map { Int(clamping: $0) } ?? 0 }
        return .final(Final(
            id: id, attempt: attempt, seq: seq, text: text, tokenIDs: tokenIDs, finishReason: finishReason,
            model: root["model"]?.stringValue, mode: root["mode"]?.stringValue, lambda: root["lambda"]?.doubleValue,
            usage: Usage(promptTokens: count("prompt_tokens"), completionTokens: count("completion_tokens"))))
    }
}
