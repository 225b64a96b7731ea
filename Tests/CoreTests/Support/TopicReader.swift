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
    /// - Parameter hopeless: why waiting longer cannot help (e.g. the worker that should
    ///   write has exited), or nil; asked between polls.
    /// - Throws: `TimeLimitExceeded` after `limit`, or as soon as `hopeless` gives a
    ///   reason, its progress saying how many messages arrived and why.
    func read(within limit: Duration, hopeless: () -> String? = { nil },
              until done: ([KafkaMessage]) -> Bool) throws {
        let deadline = ContinuousClock.now + limit
        while !done(messages) {
            let reason = hopeless()
            guard ContinuousClock.now < deadline, reason == nil else {
                throw TimeLimitExceeded(what: "reading \(topic)", limit: limit,
                                        progress: "\(messages.count) message(s) read" + (reason.map { "; \($0)" } ?? ""))
            }
            if let message = try consumer.poll(timeout: .milliseconds(100)) { messages.append(message) }
        }
    }
}
