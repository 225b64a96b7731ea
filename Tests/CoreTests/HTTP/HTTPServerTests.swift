import Testing
@testable import Core

@Suite struct HTTPServerTests {
    static func echoServer(limits: HTTPServer.Limits = HTTPServer.Limits()) throws -> HTTPServer {
        try HTTPServer(host: "127.0.0.1", port: 0, limits: limits) { request, writer in
            let text = "\(request.method) \(request.path) \(request.header("X-Test") ?? "-") \(request.body.count)"
            try writer.send(.text(text))
        }
    }

    @Test func servesRequestsWithBodiesAndHeaders() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let response = try HTTPTestClient.request(port: server.port, method: "POST", path: "/v1/x?y=1",
                                                  body: Array("hello".utf8), headers: ["X-Test": "yes"])
        #expect(response.status == 200)
        #expect(response.body == "POST /v1/x yes 5")
        #expect(response.headers["content-length"] == "16")
    }

    @Test func refusesBodiesOverTheLimit() throws {
        var limits = HTTPServer.Limits()
        limits.bodyBytes = 4
        let server = try Self.echoServer(limits: limits)
        defer { server.stop() }
        let response = try HTTPTestClient.request(port: server.port, method: "POST", path: "/", body: Array("hello".utf8))
        #expect(response.status == 413)
        #expect(response.body.contains("over the limit of 4"))
    }

    @Test func answersAMalformedRequestLine() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let response = try HTTPTestClient.request(port: server.port, method: "GET", path: "/two words")
        #expect(response.status == 400)
    }

    @Test func aBusyPortIsAnError() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        #expect(throws: HTTPServerError.self) { try HTTPServer(host: "127.0.0.1", port: server.port) { _, _ in } }
    }
}
