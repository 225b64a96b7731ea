import Foundation

/// Reads one HTTP/1.1 request from a socket: the request line and headers up to a
/// size limit, then a body of `Content-Length` bytes up to another. Chunked request
/// bodies are refused (no client of this server sends them).
struct HTTPRequestReader {
    struct ReadError: Error {
        var status: Int
        var message: String
    }

    let socket: Int32
    let limits: HTTPServer.Limits

    func read() throws(ReadError) -> HTTPRequest {
        var buffer: [UInt8] = []
        var headerEnd: Int?
        var chunk = [UInt8](repeating: 0, count: 4096)
        while headerEnd == nil {
            guard buffer.count <= limits.headerBytes else { throw ReadError(status: 431, message: "request headers too large") }
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { throw ReadError(status: 408, message: "connection closed or timed out before the headers ended") }
            buffer += chunk[..<count]
            headerEnd = Self.headerEnd(in: buffer)
        }
        let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            throw ReadError(status: 400, message: "malformed request line")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw ReadError(status: 400, message: "malformed header line") }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if headers.contains(where: { $0.name == "transfer-encoding" }) {
            throw ReadError(status: 400, message: "chunked request bodies are not supported; send Content-Length")
        }
        var body = Array(buffer[(headerEnd! + 4)...])
        let length = headers.first { $0.name == "content-length" }.map { Int($0.value) ?? -1 } ?? 0
        guard length >= 0 else { throw ReadError(status: 400, message: "bad Content-Length") }
        guard length <= limits.bodyBytes else {
            throw ReadError(status: 413, message: "request body of \(length) bytes is over the limit of \(limits.bodyBytes)")
        }
        while body.count < length {
            let count = recv(socket, &chunk, min(chunk.count, length - body.count), 0)
            guard count > 0 else { throw ReadError(status: 408, message: "connection closed or timed out inside the body") }
            body += chunk[..<count]
        }
        return HTTPRequest(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
                           body: Array(body.prefix(length)))
    }

    static func headerEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
