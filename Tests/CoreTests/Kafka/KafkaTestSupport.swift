import Synchronization
@testable import Core

/// Collects librdkafka's log lines so that tests can look at them.
final class KafkaLogCollector: Sendable {
    private let entries = Mutex<[KafkaLogEntry]>([])

    var handler: KafkaLogHandler { { entry in self.entries.withLock { $0.append(entry) } } }

    var lines: [KafkaLogEntry] { entries.withLock { $0 } }
}

enum KafkaTestSupport {
    static func config(_ broker: EmbeddedBroker) -> KafkaConfig {
        KafkaConfig(bootstrapServers: broker.bootstrapServers).withDefaults(KafkaConfig.fastTestTimings)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// Polls the consumers in turn until `done` holds for what they read (each message
    /// tagged with the index of its consumer), or fails the test after `limit`.
    static func poll(_ consumers: [KafkaConsumer], within limit: Duration = .seconds(30),
                     until done: ([(consumer: Int, message: KafkaMessage)]) throws -> Bool)
        throws -> [(consumer: Int, message: KafkaMessage)] {
        var read = [(consumer: Int, message: KafkaMessage)]()
        let deadline = ContinuousClock.now + limit
        while try !done(read) {
            guard ContinuousClock.now < deadline else {
                throw TimeLimitExceeded(what: "polling", limit: limit, progress: "\(read.count) message(s) read")
            }
            for (index, consumer) in consumers.enumerated() {
                if let message = try consumer.poll(timeout: .milliseconds(100)) { read.append((index, message)) }
            }
        }
        return read
    }

    /// Reads every partition of `topic` from the beginning without a group until `count` messages arrived.
    static func readAll(_ broker: EmbeddedBroker, topic: String, partitions: [Int32], count: Int) throws -> [KafkaMessage] {
        let reader = try KafkaConsumer(config: config(broker))
        defer { reader.close() }
        try reader.assign(topic: topic, partitions: partitions, from: .beginning)
        return try poll([reader]) { $0.count >= count }.map(\.message)
    }
}

struct TimeLimitExceeded: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    let progress: String
    var description: String { "\(what) did not finish within \(limit) (\(progress))" }
}
