/// A Kafka record header: a name and a value of bytes. Header names may repeat within
/// a message; a null header value is read back as empty bytes.
public struct KafkaHeader: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }

    /// The value as UTF-8 text, or nil when it is not valid UTF-8.
    public var stringValue: String? { String(validating: value, as: UTF8.self) }

    public var description: String { "\(name)=\(stringValue ?? "<\(value.count) bytes>")" }
}
