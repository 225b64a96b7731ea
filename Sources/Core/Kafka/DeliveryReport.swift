/// Where the broker stored a produced message.
public struct DeliveryReport: Sendable, Equatable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32
    public let offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic) [\(partition)] @\(offset)" }
}
