import CKafka
import Synchronization

/// What librdkafka's C callbacks reach through the configuration opaque pointer
/// (`rd_kafka_conf_set_opaque`): the callbacks cannot capture Swift state. It is
/// immutable or lock-protected, since the callbacks run on librdkafka's threads.
final class ClientContext: Sendable {
    let logHandler: KafkaLogHandler?
    /// Producers only: the sends waiting for their delivery report.
    let deliveries = PendingDeliveries()
    /// Consumers only: partitions resumed while not assigned, to resume when the group
    /// gives them back (see `KafkaConsumer.resume`).
    let resumeWhenAssigned = Mutex<Set<TopicPartition>>([])

    init(logHandler: KafkaLogHandler?) {
        self.logHandler = logHandler
    }

    /// The context behind a client handle given to a callback.
    static func of(_ client: OpaquePointer?) -> ClientContext? {
        guard let client, let opaque = rd_kafka_opaque(client) else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    func log(level: Int32, facility: String, message: String, client: String) {
        logHandler?(KafkaLogEntry(level: level, facility: facility, message: message, client: client))
    }
}

/// Routes librdkafka's log lines to the client's log handler (or nowhere).
let forwardLog: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    client, level, facility, line in
    guard let context = ClientContext.of(client), context.logHandler != nil else { return }
    context.log(level: level,
                facility: facility.map { String(cString: $0) } ?? "",
                message: line.map { String(cString: $0) } ?? "",
                client: client.map { String(cString: rd_kafka_name($0)) } ?? "")
}
