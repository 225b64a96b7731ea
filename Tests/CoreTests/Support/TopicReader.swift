@testable import Core

/// Reads every partition of one topic from the beginning, outside any consumer group,
/// and keeps everything it has read, so a test can wait for more in several steps.
/// Used from one task at a time (the consumer's own rule).
final class TopicReader {
    let topic: String
    private(set) var messages: [KafkaMessage] = []
    private let consumer: KafkaConsumer

    init(config: KafkaConfig, topic: String, partitions: Int) throws {
        self.topic = topic
        consumer = try KafkaConsumer(config: config)
        try consumer.assign(topic: topic, partitions: (0..<Int32(partitions)).map { $0 }, from: .beginning)
    }

    deinit {
        consumer.close()
    }

    /// Polls until `done` holds for everything read so far.
    /// - Throws: `TimeLimitExceeded` after `limit`, its progress saying how many
    ///   messages arrived and what `context` adds (e.g. the end of a worker's log).
    func read(within limit: Duration, context: () -> String = { "" },
              until done: ([KafkaMessage]) -> Bool) throws {
        let deadline = ContinuousClock.now + limit
        while !done(messages) {
            guard ContinuousClock.now < deadline else {
                let extra = context()
                throw TimeLimitExceeded(what: "reading \(topic)", limit: limit,
                                        progress: "\(messages.count) message(s) read" + (extra.isEmpty ? "" : "; \(extra)"))
            }
            if let message = try consumer.poll(timeout: .milliseconds(100)) { messages.append(message) }
        }
    }
}
