import Foundation
import Synchronization

/// The HTTP side of `realign serve`: OpenAI's `/v1/models`, `/v1/completions` and
/// `/v1/chat/completions` over a `GenerationClient`. Each HTTP request becomes one
/// generation request; a client that goes away (a failed write, or a closed socket
/// seen while waiting) cancels that request and no other.
public final class OpenAIGateway: Sendable {
    public struct Options: Sendable {
        /// The model names requests may use (those the workers serve).
        public var models: [String]
        /// Generation requests in progress at most; one more is answered 429.
        public var maxConcurrent: Int
        /// How often a waiting request checks that its client is still connected.
        public var disconnectCheck: Duration

        public init(models: [String], maxConcurrent: Int = 64, disconnectCheck: Duration = .milliseconds(200)) {
            self.models = models
            self.maxConcurrent = maxConcurrent
            self.disconnectCheck = disconnectCheck
        }
    }

    public let options: Options
    private let client: GenerationClient
    private let active = Atomic<Int>(0)
    private let servedModels: Set<String>

    public init(client: GenerationClient, options: Options) {
        self.client = client
        self.options = options
        servedModels = Set(options.models)
    }

    /// Generation requests in progress.
    public var activeCount: Int { active.load(ordering: .acquiring) }

    /// Waits until no request is in progress, at most `timeout`; returns how many remain.
    public func drain(timeout: Duration) -> Int {
        let deadline = ContinuousClock.now + timeout
        while activeCount > 0 && ContinuousClock.now < deadline { usleep(50_000) }
        return activeCount
    }

    /// The `HTTPServer` handler.
    public func handle(_ request: HTTPRequest, _ writer: HTTPResponseWriter) throws {
        let path = request.path.hasSuffix("/") && request.path.count > 1 ? String(request.path.dropLast()) : request.path
        switch path {
        case "/v1/models":
            guard request.method == "GET" else { return try writer.send(methodNotAllowed(request, allowed: "GET")) }
            try writer.send(.json(.object([JSONMember("object", .string("list")), JSONMember("data", .array(options.models.map(modelObject)))])))
        case _ where path.hasPrefix("/v1/models/"):
            guard request.method == "GET" else { return try writer.send(methodNotAllowed(request, allowed: "GET")) }
            let name = String(path.dropFirst("/v1/models/".count))
            try writer.send(servedModels.contains(name) ? .json(modelObject(name)) : OpenAIError.modelNotFound(name).response)
        case OpenAIRequest.Endpoint.completions.rawValue, OpenAIRequest.Endpoint.chatCompletions.rawValue:
            guard request.method == "POST" else { return try writer.send(methodNotAllowed(request, allowed: "POST")) }
            try generate(request, endpoint: OpenAIRequest.Endpoint(rawValue: path)!, writer)
        default:
            try writer.send(OpenAIError(status: 404, message: "Invalid URL (\(request.method) \(request.path))",
                                        type: "invalid_request_error").response)
        }
    }

    private func modelObject(_ name: String) -> JSONValue {
        .object([JSONMember("id", .string(name)), JSONMember("object", .string("model")),
                 JSONMember("created", .integer(0)), JSONMember("owned_by", .string("realign"))])
    }

    private func methodNotAllowed(_ request: HTTPRequest, allowed: String) -> HTTPResponse {
        var response = OpenAIError(status: 405, message: "Method \(request.method) is not allowed for \(request.path); use \(allowed)",
                                   type: "invalid_request_error").response
        response.headers.append(("Allow", allowed))
        return response
    }

    private func generate(_ request: HTTPRequest, endpoint: OpenAIRequest.Endpoint, _ writer: HTTPResponseWriter) throws {
        let parsed: OpenAIRequest
        do {
            parsed = try OpenAIRequest.parse(request.body, endpoint: endpoint, servedModels: servedModels)
        } catch {
            return try writer.send(error.response)
        }
        guard active.add(1, ordering: .acquiringAndReleasing).newValue <= options.maxConcurrent else {
            active.subtract(1, ordering: .acquiringAndReleasing)
            return try writer.send(OpenAIError(status: 429, message: "more than \(options.maxConcurrent) requests at once; try again shortly",
                                               type: "rate_limit_error", code: "rate_limit_exceeded").response)
        }
        defer { active.subtract(1, ordering: .acquiringAndReleasing) }

        let events = GenerationEventQueue()
        let id = client.submit(parsed.parameters, listener: events.listener)
        let builder = OpenAIResponseBuilder(endpoint: endpoint, requestID: id, model: parsed.model,
                                            created: Int64(Date().timeIntervalSince1970))
        let stream = parsed.parameters.stream
        func clientGone() {
            if client.cancel(id: id) { Log.info("client disconnected; its request is cancelled", ["id": .string(id)]) }
        }
        do {
            if stream {
                try writer.start(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                                                        ("X-Request-Id", id)])
                if endpoint == .chatCompletions { try writer.write(OpenAIResponseBuilder.event(builder.chunk(text: "", role: true))) }
            }
            while true {
                guard let result = events.next(timeout: options.disconnectCheck) else {
                    if writer.clientHasGone { return clientGone() }
                    continue
                }
                switch result {
                case .success(.text(let text, _)):
                    if stream && !text.isEmpty { try writer.write(OpenAIResponseBuilder.event(builder.chunk(text: text))) }
                case .success(.finished(let final)):
                    guard stream else {
                        var response = HTTPResponse.json(builder.completion(final))
                        response.headers.append(("X-Request-Id", id))
                        return try writer.send(response)
                    }
                    var tail = OpenAIResponseBuilder.event(builder.chunk(text: "", finishReason: final.finishReason))
                    if parsed.includeUsageInStream { tail += OpenAIResponseBuilder.event(builder.usageChunk(final)) }
                    return try writer.write(tail + OpenAIResponseBuilder.done)
                case .failure(let error):
                    let failure = OpenAIError(error)
                    Log.warn("request failed", ["id": .string(id), "status": .integer(Int64(failure.status)), "error": .string(failure.message)])
                    guard stream else { return try writer.send(failure.response) }
                    // Mid-stream the status is sent; OpenAI's clients raise on an error event.
                    return try writer.write(OpenAIResponseBuilder.event(failure.jsonValue) + OpenAIResponseBuilder.done)
                }
            }
        } catch let error as HTTPServerError {
            // A failed write: the client has gone.
            clientGone()
            throw error
        }
    }
}
