/// A message read from Kafka.
public struct KafkaMessage: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    /// nil when the message was produced without a key.
    public let key: [UInt8]?
    /// Empty for a message with a null value (a tombstone).
    public let value: [UInt8]
    public let headers: [KafkaHeader]
    /// Milliseconds since the Unix epoch (creation or log-append time, as the topic is
    /// configured), nil when the message carries none.
    public let timestamp: Int64?

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
                headers: [KafkaHeader], timestamp: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The value of the first header with this name.
    public func header(_ name: String) -> [UInt8]? {
        headers.first { $0.name == name }?.value
    }

    /// The key as UTF-8 text, or nil when there is none or it is not UTF-8.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}
