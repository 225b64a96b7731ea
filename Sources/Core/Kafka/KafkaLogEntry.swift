/// One line of librdkafka's own log. librdkafka logs through a callback so that its
/// lines never reach stderr by themselves; a client given no `KafkaLogHandler` drops
/// them.
public struct KafkaLogEntry: Sendable, CustomStringConvertible {
    /// syslog severity: 0 emergency ... 3 error, 4 warning, ... 7 debug.
    public let level: Int32
    /// librdkafka's subsystem tag, e.g. `FAIL`, `REQTMOUT`, `CGRPOP`.
    public let facility: String
    public let message: String
    /// The client's name (`rd_kafka_name`), e.g. `rdkafka#producer-1`.
    public let client: String

    public var description: String { "librdkafka \(client) \(level) \(facility): \(message)" }
}

public typealias KafkaLogHandler = @Sendable (KafkaLogEntry) -> Void
