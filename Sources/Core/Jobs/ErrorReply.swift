/// The JSON a worker sends to a failed job's `reply_to` (header `realign-status: error`):
/// `{"id": ..., "error": {"code": "...", "message": "..."}}`, `id` null when the job's id
/// could not be read.
public struct ErrorReply: Sendable, Equatable {
    public var id: String?
    public var code: JobErrorCode
    public var message: String

    public init(id: String?, code: JobErrorCode, message: String) {
        self.id = id
        self.code = code
        self.message = message
    }

    public init(_ error: JobError) {
        self.init(id: error.jobID, code: error.code, message: error.message)
    }

    public var jsonValue: JSONValue {
        .object([
            JSONMember("id", id.map { .string($0) } ?? .null),
            JSONMember("error", .object([JSONMember("code", .string(code.rawValue)), JSONMember("message", .string(message))])),
        ])
    }

    public func jsonBytes() -> [UInt8] {
        jsonValue.jsonBytes
    }

    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "not an error reply: \(reason)" }
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> ErrorReply {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw DecodingError(reason: error.description)
        }
        guard let error = root["error"], case .object = error else { throw DecodingError(reason: "no 'error' object") }
        guard let codeName = error["code"]?.stringValue else { throw DecodingError(reason: "no string 'error.code'") }
        guard let code = JobErrorCode(rawValue: codeName) else { throw DecodingError(reason: "unknown error code \"\(codeName)\"") }
        guard let message = error["message"]?.stringValue else { throw DecodingError(reason: "no string 'error.message'") }
        let id: String?
        switch root["id"] {
        case .none, .some(.null): id = nil
        case .some(let value):
            guard let text = JobDecoder.idString(value) else { throw DecodingError(reason: "'id' is \(value.typeName)") }
            id = text
        }
        return ErrorReply(id: id, code: code, message: message)
    }
}
