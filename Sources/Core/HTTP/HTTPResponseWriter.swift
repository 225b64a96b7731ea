import Foundation

/// Writes a response to a connection: whole (`send`) or as a stream of chunks after
/// the head (`start` then `write`), as server-sent events need. Knows when the client
/// has gone, so a streaming handler can stop (and cancel its work).
public final class HTTPResponseWriter: @unchecked Sendable {
    // Used by one connection thread at a time; `started` only changes on that thread.
    private let socket: Int32
    private(set) var hasStarted = false

    init(socket: Int32) {
        self.socket = socket
    }

    public func send(_ response: HTTPResponse) throws {
        try start(status: response.status, headers: response.headers + [("Content-Length", String(response.body.count))])
        try write(response.body)
    }

    /// Sends the status line and headers; the body follows with `write` until the
    /// connection closes.
    public func start(status: Int, headers: [(name: String, value: String)]) throws {
        hasStarted = true
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        try write(Array(head.utf8))
    }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Foundation.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HTTPServerError("client disconnected") }
            offset += sent
        }
    }

    /// Whether the client closed its side (a peek that reads nothing without blocking).
    public var clientHasGone: Bool {
        var byte: UInt8 = 0
        let result = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return result == 0 || (result < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}
