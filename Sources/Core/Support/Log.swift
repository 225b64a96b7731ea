import Foundation

/// Structured logs: one JSON object per line on stderr (`ts`, `level`, `msg`, then the
/// fields), so that log shippers and `jq` read them without a parser of their own.
public enum Log {
    public enum Level: String, Sendable, Comparable {
        case debug, info, warn, error

        private var rank: Int { [.debug: 0, .info: 1, .warn: 2, .error: 3][self]! }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
    }

    private static let minimum: Level = {
        ProcessInfo.processInfo.environment["REALIGN_LOG_LEVEL"].flatMap(Level.init(rawValue:)) ?? .info
    }()
    private static let lock = NSLock()

    public static func debug(_ message: String, _ fields: [String: JSONValue] = [:]) { write(.debug, message, fields) }
    public static func info(_ message: String, _ fields: [String: JSONValue] = [:]) { write(.info, message, fields) }
    public static func warn(_ message: String, _ fields: [String: JSONValue] = [:]) { write(.warn, message, fields) }
    public static func error(_ message: String, _ fields: [String: JSONValue] = [:]) { write(.error, message, fields) }

    public static func write(_ level: Level, _ message: String, _ fields: [String: JSONValue]) {
        guard level >= minimum else { return }
        var members = [
            JSONMember("ts", .string(Date().ISO8601Format(.iso8601.time(includingFractionalSeconds: true).year().month().day()))),
            JSONMember("level", .string(level.rawValue)),
            JSONMember("msg", .string(message)),
        ]
        members += fields.keys.sorted().map { JSONMember($0, fields[$0]!) }
        let line = JSONValue.object(members).jsonBytes + [UInt8(ascii: "\n")]
        lock.withLock { FileHandle.standardError.write(Data(line)) }
    }
}
