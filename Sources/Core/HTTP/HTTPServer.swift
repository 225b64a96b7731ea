import Foundation

/// A small HTTP/1.1 server on a TCP port: one accept thread, each connection served on
/// its own thread (connections are few: probes, Prometheus, a gateway's clients).
/// Requests are read with limits on the header and body size; one request per
/// connection (`Connection: close`), which every client handles.
public final class HTTPServer: @unchecked Sendable {
    // `listener` is set once in init; `stopped` is guarded by `lock`.
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponseWriter) throws -> Void
    /// The response to a request the server refuses itself (status, reason), so a
    /// server with an error format of its own (OpenAI's) uses it for these too.
    public typealias ErrorResponder = @Sendable (Int, String) -> HTTPResponse

    public struct Limits: Sendable {
        public var headerBytes = 16 * 1024
        public var bodyBytes = 1024 * 1024
        public var readTimeoutSeconds = 10
        public var maxConnections = 64

        public init() {}
    }

    public let port: Int
    private let listener: Int32
    private let handler: Handler
    private let errorResponse: ErrorResponder
    private let limits: Limits
    private let lock = NSLock()
    private var stopped = false
    private var connections = 0

    /// Binds `host:port` (port 0 picks a free one, see `port`) and starts serving.
    public init(host: String = "0.0.0.0", port: Int, limits: Limits = Limits(),
                errorResponse: @escaping ErrorResponder = { status, reason in .text(reason + "\n", status: status) },
                handler: @escaping Handler) throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw HTTPServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(socketFD)
            throw HTTPServerError("\(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socketFD, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(socketFD)
            throw HTTPServerError("cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.listener = socketFD
        self.handler = handler
        self.errorResponse = errorResponse
        self.limits = limits
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "http-accept"
        thread.start()
    }

    deinit {
        stop()
    }

    /// Stops accepting; connections in progress finish.
    public func stop() {
        let wasRunning = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        if wasRunning {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let admitted = lock.withLock {
                guard connections < limits.maxConnections else { return false }
                connections += 1
                return true
            }
            guard admitted else {
                let writer = HTTPResponseWriter(socket: connection)
                try? writer.send(errorResponse(503, "too many connections"))
                close(connection)
                continue
            }
            let thread = Thread { [self] in
                serve(connection)
                close(connection)
                lock.withLock { connections -= 1 }
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        var timeout = timeval(tv_sec: limits.readTimeoutSeconds, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let writer = HTTPResponseWriter(socket: connection)
        do {
            let request = try HTTPRequestReader(socket: connection, limits: limits).read()
            try handler(request, writer)
            if !writer.hasStarted { try writer.send(errorResponse(500, "no response")) }
        } catch let error as HTTPRequestReader.ReadError {
            try? writer.send(errorResponse(error.status, error.message))
        } catch {
            if !writer.hasStarted { try? writer.send(errorResponse(500, "internal error")) }
        }
    }
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
