import Foundation

/// Where librdkafka properties come from besides `-X`, so that secrets (SASL passwords,
/// TLS keys) need not be typed on a command line, which every user of the machine can
/// read in `ps`:
///
/// - `-F FILE`, as kcat reads it: one `key=value` a line, split at the first `=`, key
///   and value trimmed of surrounding blanks; blank lines and lines starting with `#`
///   are skipped. A Kubernetes secret mounted as a file works as it is.
/// - Environment variables `REALIGN_KAFKA_<KEY>`: the rest of the name lowercased,
///   `_` read as `.` and `__` as `_` (as Confluent's images read `KAFKA_*`):
///   `REALIGN_KAFKA_SASL_PASSWORD` sets `sasl.password`.
///
/// Precedence: `-X` over `-F` files (a later file over an earlier one) over the
/// environment; `--brokers` over all of them for `bootstrap.servers`.
extension KafkaConfig {
    public static let environmentPrefix = "REALIGN_KAFKA_"

    /// The configuration of a command: the environment, then each file, then each `-X`
    /// option, each overriding what came before; then `bootstrapServers` when given.
    public init(bootstrapServers: String?, passThrough options: [String], files: [String],
                environment: [String: String]) throws {
        self.init(properties: Self.properties(fromEnvironment: environment))
        for path in files {
            properties.merge(try Self.properties(fromFile: path)) { _, fromFile in fromFile }
        }
        try apply(passThrough: options)
        if let bootstrapServers { self.bootstrapServers = bootstrapServers }
    }

    /// The properties set by `REALIGN_KAFKA_*` variables (empty values are ignored, as
    /// for every other `REALIGN_*` variable).
    public static func properties(fromEnvironment environment: [String: String]) -> [String: String] {
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(environmentPrefix) && !value.isEmpty {
            let rest = name.dropFirst(environmentPrefix.count).lowercased()
            guard !rest.isEmpty else { continue }
            let key = rest.replacingOccurrences(of: "__", with: "\u{0}")
                .replacingOccurrences(of: "_", with: ".")
                .replacingOccurrences(of: "\u{0}", with: "_")
            properties[key] = value
        }
        return properties
    }

    public static func properties(fromFile path: String) throws -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KafkaError.unreadableConfigFile(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KafkaError.malformedConfigFile(path: path, line: 0, problem: "not UTF-8 text")
        }
        return try properties(fromFileText: text, path: path)
    }

    /// The properties of a `-F` file's text; errors name the line, never its value.
    public static func properties(fromFileText text: String, path: String) throws -> [String: String] {
        var properties: [String: String] = [:]
        // Split at any line break: a CRLF ("\r\n") is one Character in Swift, not a "\n".
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw KafkaError.malformedConfigFile(path: path, line: index + 1, problem: "expected key=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw KafkaError.malformedConfigFile(path: path, line: index + 1, problem: "the key before '=' is empty")
            }
            properties[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return properties
    }

    /// Whether a property holds a secret whose value must never be logged or printed:
    /// passwords, secrets, private keys and the JAAS / OAUTHBEARER strings that embed them.
    public static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return ["password", "secret", "jaas", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key"]
            .contains { key.contains($0) }
    }

    /// The properties with every secret value replaced by `[redacted]`, for logs.
    public var redactedProperties: [String: String] {
        properties.reduce(into: [:]) { result, entry in
            result[entry.key] = Self.isSecret(entry.key) ? Self.redactionMark : entry.value
        }
    }

    static let redactionMark = "[redacted]"

    /// `text` (an error message of librdkafka) with every secret value of this
    /// configuration replaced by `[redacted]`. Values shorter than 3 characters are
    /// left alone: replacing them would garble the message and hide next to nothing.
    public func redacting(_ text: String) -> String {
        var text = text
        for (key, value) in properties where Self.isSecret(key) && value.count >= 3 {
            text = text.replacingOccurrences(of: value, with: Self.redactionMark)
        }
        return text
    }
}
