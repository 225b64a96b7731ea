import Foundation

/// The cancels of the control topic (`{"schema": 1, "kind": "cancel", "id": ...}`),
/// read by every worker from the end of every partition, outside any consumer group.
/// Until the topic exists, assigning it is tried again every few seconds. The worker
/// owns (and closes) the consumer.
final class CancelFeed {
    private static let retryInterval: TimeInterval = 5
    private let topic: String
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private var assigned = false
    private var lastAttempt = Date.distantPast

    init(topic: String, consumer: KafkaConsumer, producer: KafkaProducer) {
        self.topic = topic
        self.consumer = consumer
        self.producer = producer
    }

    /// The ids of the cancels read since the last call (without waiting).
    func drain() throws -> [String] {
        guard assign() else { return [] }
        var ids: [String] = []
        while let message = try consumer.poll(timeout: .zero) {
            if let id = Self.cancelledID(message.value) {
                ids.append(id)
            } else {
                Log.warn("not a cancel", ["topic": .string(topic), "partition": .integer(Int64(message.partition)),
                                          "offset": .integer(message.offset)])
            }
        }
        return ids
    }

    /// The request id of a cancel message, nil when it is not one.
    static func cancelledID(_ bytes: [UInt8]) -> String? {
        guard let root = try? JSONParser.parse(bytes), root["schema"]?.integerValue == TeacherJob.schema,
              root["kind"]?.stringValue == "cancel", let id = root["id"].flatMap(JobDecoder.idString), !id.isEmpty else { return nil }
        return id
    }

    private func assign() -> Bool {
        guard !assigned else { return true }
        guard Date().timeIntervalSince(lastAttempt) >= Self.retryInterval else { return false }
        lastAttempt = Date()
        do {
            guard let count = try producer.partitionCount(topic: topic, timeout: .seconds(2)) else {
                Log.warn("control topic missing; cancels are not read until it exists", ["topic": .string(topic)])
                return false
            }
            try consumer.assign(topic: topic, partitions: (0..<Int32(count)).map { $0 }, from: .end)
            assigned = true
            Log.info("reading cancels", ["topic": .string(topic), "partitions": .integer(Int64(count))])
        } catch {
            Log.warn("cannot read the control topic", ["topic": .string(topic), "error": .string("\(error)")])
        }
        return assigned
    }
}
