import Foundation
import Testing
@testable import Core

/// The gateway over HTTP, on a real client, embedded broker and a scripted worker:
/// routes, statuses, whole and streamed responses, and a client that hangs up.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct OpenAIGatewayTests {
    typealias Worker = ScriptedGenerationWorker

    /// Streams "Blue" " light." for prompts other than "hang", which gets one chunk and
    /// then nothing (a generation that goes on).
    static func script(_ request: JSONValue, _ submission: Int) -> [JSONValue] {
        let id = request["id"]!.stringValue!
        let body = request["generate"]!
        if body["messages"]?.arrayValue?.last?["content"]?.stringValue == "hang" {
            return [Worker.chunk(id, attempt: "a", seq: 0, text: "Once", tokens: [1])]
        }
        let final = Worker.final(id, attempt: "a", seq: body["stream"] == .bool(true) ? 2 : 0, text: "Blue light.", tokens: [5, 6, 2],
                                 mode: .inra, lambda: body["lambda"]?.doubleValue ?? 1)
        guard body["stream"] == .bool(true) else { return [final] }
        return [Worker.chunk(id, attempt: "a", seq: 0, text: "Blue", tokens: [5]),
                Worker.chunk(id, attempt: "a", seq: 1, text: " light.", tokens: [6, 2]), final]
    }

    final class Setup {
        let worker: Worker
        let client: GenerationClient
        let gateway: OpenAIGateway
        let server: HTTPServer

        init(maxConcurrent: Int = 8, bodyBytes: Int = 4096) throws {
            worker = try Worker(script: OpenAIGatewayTests.script)
            client = try worker.client()
            gateway = OpenAIGateway(client: client, options: .init(models: ["smol", "smol-inra"], maxConcurrent: maxConcurrent,
                                                                   disconnectCheck: .milliseconds(50)))
            var limits = HTTPServer.Limits()
            limits.bodyBytes = bodyBytes
            server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits,
                                    errorResponse: { OpenAIError.http(status: $0, message: $1).response }, handler: gateway.handle)
        }

        func post(_ path: String, _ body: String) async throws -> HTTPTestClient.Response {
            let port = server.port
            return try await blocking {
                try HTTPTestClient.request(port: port, method: "POST", path: path, body: Array(body.utf8),
                                           headers: ["Content-Type": "application/json"])
            }
        }

        func get(_ path: String) async throws -> HTTPTestClient.Response {
            let port = server.port
            return try await blocking { try HTTPTestClient.request(port: port, path: path) }
        }

        func close() {
            server.stop()
            client.close()
            worker.stop()
        }
    }

    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func answersWholeAndStreamedCompletions() async throws {
        let setup = try Setup()
        defer { setup.close() }
        let models = try await setup.get("/v1/models")
        #expect(models.status == 200)
        #expect(try Self.json(models.body)["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["smol", "smol-inra"])

        let chat = try await setup.post("/v1/chat/completions", #"{"model": "smol-inra", "messages": [{"role": "user", "content": "sky?"}], "control": 0.5}"#)
        #expect(chat.status == 200)
        let body = try Self.json(chat.body)
        #expect(body["object"] == .string("chat.completion"))
        #expect(body["choices"]?.arrayValue?.first?["message"]?["content"] == .string("Blue light."))
        #expect(body["usage"]?["total_tokens"] == .integer(8))
        #expect(body["realign"]?["lambda"] == .double(0.5))
        #expect(body["id"]?.stringValue == "chatcmpl-" + (chat.headers["x-request-id"] ?? "?").replacingOccurrences(of: "/", with: "-"))

        let stream = try await setup.post("/v1/chat/completions", #"{"model": "smol", "messages": [{"role": "user", "content": "sky?"}], "stream": true, "stream_options": {"include_usage": true}}"#)
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream")
        let events = stream.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.allSatisfy { $0.hasPrefix("data: ") })
        #expect(events.last == "data: [DONE]")
        let chunks = try events.dropLast().map { try Self.json(String($0.dropFirst(6))) }
        #expect(chunks.count == 5)
        let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }
        #expect(deltas == ["", "Blue", " light."])
        #expect(chunks[3]["choices"]?.arrayValue?.first?["finish_reason"] == .string("stop"))
        #expect(chunks[4]["usage"]?["completion_tokens"] == .integer(3))

        let completion = try await setup.post("/v1/completions", #"{"model": "smol", "prompt": "sky?", "stream": true}"#)
        let texts = try completion.body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }
            .map { try Self.json(String($0.dropFirst(6)))["choices"]?.arrayValue?.first?["text"]?.stringValue ?? "?" }
        #expect(texts == ["Blue", " light.", ""])
    }

    @Test func errorsHaveOpenAIsFormatAndStatus() async throws {
        let setup = try Setup(bodyBytes: 200)
        defer { setup.close() }
        let unknown = try await setup.post("/v1/chat/completions", #"{"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]}"#)
        #expect(unknown.status == 404)
        #expect(try Self.json(unknown.body)["error"]?["code"] == .string("model_not_found"))
        let bad = try await setup.post("/v1/chat/completions", #"{"model": "smol", "messages": [{"role": "user", "content": "x"}], "top_p": 2}"#)
        #expect(bad.status == 400)
        #expect(try Self.json(bad.body)["error"]?["param"] == .string("top_p"))
        #expect(try await setup.post("/v1/embeddings", "{}").status == 404)
        let wrongMethod = try await setup.get("/v1/chat/completions")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
        #expect(try await setup.post("/v1/models", "").status == 405)
        let large = try await setup.post("/v1/completions", "{\"model\": \"smol\", \"prompt\": \"" + String(repeating: "x", count: 300) + "\"}")
        #expect(large.status == 413)
        #expect(try Self.json(large.body)["error"]?["type"] == .string("invalid_request_error"))
        #expect(try await setup.get("/v1/models/smol").status == 200)
        #expect(try await setup.get("/v1/models/other").status == 404)
    }

    @Test func aClientThatHangsUpCancelsItsRequestAndTheLimitHolds() async throws {
        let setup = try Setup(maxConcurrent: 1)
        defer { setup.close() }
        // A streaming request that never ends, read until its first text, then closed.
        let port = setup.server.port
        let (fd, received) = try await blocking { () throws -> (Int32, String) in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw HTTPTestError("connect: \(String(cString: strerror(errno)))") }
            let body = #"{"model": "smol", "messages": [{"role": "user", "content": "hang"}], "stream": true}"#
            let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var received = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = ContinuousClock.now + .seconds(30)
            while !received.contains("Once") && ContinuousClock.now < deadline {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += String(decoding: buffer[..<count], as: UTF8.self)
            }
            return (fd, received)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        #expect(received.contains("Once"))
        let id = try #require(received.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-request-id:") }?
            .split(separator: " ").last.map(String.init))
        // While it runs, a second request is over the limit of one.
        let refused = try await setup.post("/v1/chat/completions", #"{"model": "smol", "messages": [{"role": "user", "content": "x"}]}"#)
        #expect(refused.status == 429)
        #expect(try Self.json(refused.body)["error"]?["code"] == .string("rate_limit_exceeded"))
        close(fd)
        let worker = setup.worker
        let cancels = try await blocking { try worker.controlMessages(count: 1) }
        #expect(cancels.map(\.keyString) == [id])
        while setup.gateway.activeCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(setup.gateway.activeCount == 0)
        #expect(setup.client.pendingCount == 0)
        let after = try await setup.post("/v1/chat/completions", #"{"model": "smol", "messages": [{"role": "user", "content": "x"}]}"#)
        #expect(after.status == 200)
    }
}
