/// An error in OpenAI's format, `{"error": {"message", "type", "param", "code"}}`, with
/// the HTTP status it is sent with, so OpenAI's client libraries raise their usual
/// exceptions (`NotFoundError`, `BadRequestError`, ...).
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { "\(status) \(type): \(message)" }

    public var jsonValue: JSONValue {
        .object([JSONMember("error", .object([
            JSONMember("message", .string(message)),
            JSONMember("type", .string(type)),
            JSONMember("param", param.map { .string($0) } ?? .null),
            JSONMember("code", code.map { .string($0) } ?? .null),
        ]))])
    }

    public var response: HTTPResponse { .json(jsonValue, status: status) }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(status: 404, message: "The model `\(model)` does not exist.", type: "invalid_request_error",
                    param: "model", code: "model_not_found")
    }

    /// The HTTP server's own refusals (body too large, too many connections, ...).
    public static func http(status: Int, message: String) -> OpenAIError {
        let type = switch status {
        case 400..<500 where status != 429: "invalid_request_error"
        case 429: "rate_limit_error"
        default: "server_error"
        }
        return OpenAIError(status: status, message: message, type: type)
    }

    /// A worker's error reply, by its code: the request's own fault is a 400 (404 for
    /// a model the workers do not serve), the fleet's a 5xx.
    public init(_ failure: GenerateReply.Failure) {
        switch failure.code {
        case "unknown_model":
            self.init(status: 404, message: failure.message, type: "invalid_request_error", param: "model", code: "model_not_found")
        case "bad_lambda":
            self.init(status: 400, message: failure.message, type: "invalid_request_error", param: "control", code: failure.code)
        case "malformed_json", "bad_sampling", "bad_mode", "bad_sequence", "too_long", "token_out_of_range",
             "tokenizer_mismatch", "bad_prompt_len":
            self.init(status: 400, message: failure.message, type: "invalid_request_error", code: failure.code)
        case "cancelled", "expired":
            self.init(status: 503, message: failure.message, type: "server_error", code: failure.code)
        default:
            self.init(status: 500, message: "\(failure.code): \(failure.message)", type: "server_error", code: failure.code)
        }
    }

    public init(_ error: GenerationClientError) {
        switch error {
        case .failed(let failure): self.init(failure)
        case .noReply, .submitFailed, .unavailable:
            self.init(status: 503, message: error.description, type: "server_error", code: "fleet_unavailable")
        }
    }
}
