import Foundation

/// Delivers a worker's replies: with a few retries on top of librdkafka's own, and, for
/// a failed job, its error reply (when its `reply_to` can be read) and its DLQ copy
/// (without its bytes when they are too large to produce).
final class ReplySender: Sendable {
    private let producer: KafkaProducer
    private let dlq: String
    /// Topics no reply may go to: a reply on the jobs topic would come back as a job.
    private let fleetTopics: Set<String>
    private let stop: StopSignal

    init(producer: KafkaProducer, topics: Topics, stop: StopSignal) {
        self.producer = producer
        dlq = topics.dlq
        fleetTopics = Set(topics.fleetTopics)
        self.stop = stop
    }

    /// The headers of a successful reply to `jobID`.
    static func replyHeaders(contentType: String, jobID: String, jobSHA: String) -> [KafkaHeader] {
        [
            KafkaHeader(name: ReplyHeaders.contentType, string: contentType),
            KafkaHeader(name: ReplyHeaders.jobID, string: jobID),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: jobSHA),
        ]
    }

    /// Sends a job's reply; a refusal for size or an unknown topic becomes the job's error.
    func deliverReply(to replyTo: String, jobID: String, value: [UInt8], headers: [KafkaHeader]) async throws {
        try checkReplyTo(replyTo, jobID: jobID)
        do {
            try await deliver(topic: replyTo, key: Array(jobID.utf8), value: value, headers: headers)
        } catch let error as KafkaError where error.isMessageTooLarge {
            throw JobError(.replyTooLarge, "the broker refused the reply: \(error)", jobID: jobID, replyTo: replyTo)
        } catch let error as KafkaError where error.isUnknownTopic {
            throw JobError(.badReplyTo, "the reply topic \(replyTo) does not exist: \(error)", jobID: jobID)
        }
    }

    /// Refuses a `reply_to` naming one of the fleet's topics or the cluster's internal ones, before any compute.
    func checkReplyTo(_ replyTo: String, jobID: String) throws {
        if let refusal = Self.refusal(ofReplyTo: replyTo, jobID: jobID, fleetTopics: fleetTopics) { throw refusal }
    }

    static func refusal(ofReplyTo replyTo: String, jobID: String, fleetTopics: Set<String>) -> JobError? {
        replyTopicProblem(replyTo, fleetTopics: fleetTopics).map { JobError(.badReplyTo, "'reply_to' \(replyTo) \($0)", jobID: jobID) }
    }

    /// Why no reply may go to `topic`, if it may not.
    private static func replyTopicProblem(_ topic: String, fleetTopics: Set<String>) -> String? {
        if fleetTopics.contains(topic) { return "is one of the fleet's own topics" }
        // Kafka's own topics: __consumer_offsets, __transaction_state, ...
        if topic.hasPrefix("__") { return "is an internal topic of the cluster" }
        return nil
    }

    /// Answers a failed job: logs it, sends its error reply and, unless `copyToDLQ` is
    /// false (a cancelled request), copies it to the DLQ.
    func report(_ error: JobError, for message: KafkaMessage, jobSHA: String, copyToDLQ: Bool = true) async throws {
        let peeked = JobDecoder.peekEnvelope(message.value)
        let jobID = error.jobID ?? peeked.id
        let text = JobWorker.bounded(error.message)
        Log.warn("job failed", [
            "job": jobID.map(JSONValue.string) ?? .null, "code": .string(error.code.rawValue),
            "error": .string(text), "topic": .string(message.topic), "partition": .integer(Int64(message.partition)),
            "offset": .integer(message.offset),
        ])
        if let replyTo = error.replyTo ?? peeked.replyTo, Self.replyTopicProblem(replyTo, fleetTopics: fleetTopics) == nil {
            let reply = ErrorReply(id: jobID, code: error.code, message: text)
            var headers = [
                KafkaHeader(name: ReplyHeaders.contentType, string: ReplyHeaders.jsonContentType),
                KafkaHeader(name: ReplyHeaders.status, string: "error"),
                KafkaHeader(name: ReplyHeaders.jobSHA256, string: jobSHA),
            ]
            if let jobID { headers.append(KafkaHeader(name: ReplyHeaders.jobID, string: jobID)) }
            do {
                try await deliver(topic: replyTo, key: jobID.map { Array($0.utf8) }, value: reply.jsonBytes(), headers: headers)
            } catch {
                Log.warn("error reply not delivered", ["topic": .string(replyTo), "error": .string("\(error)")])
            }
        }
        guard copyToDLQ else { return }
        let dlqHeaders = message.headers + [
            KafkaHeader(name: ReplyHeaders.errorCode, string: error.code.rawValue),
            KafkaHeader(name: ReplyHeaders.errorMessage, string: text),
            KafkaHeader(name: ReplyHeaders.sourceTopic, string: message.topic),
            KafkaHeader(name: ReplyHeaders.sourcePartition, string: String(message.partition)),
            KafkaHeader(name: ReplyHeaders.sourceOffset, string: String(message.offset)),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: jobSHA),
        ]
        do {
            try await deliver(topic: dlq, key: message.key, value: message.value, headers: dlqHeaders)
        } catch let refusal as KafkaError where refusal.isMessageTooLarge {
            // A job larger than this producer takes (submitted with a larger
            // `message.max.bytes`) is copied without its bytes; their size and hash remain.
            // If even that is refused (a huge key or header), only the log keeps it: throwing
            // would leave the job uncommitted, to stop every worker of the group in turn.
            let omitted = KafkaHeader(name: ReplyHeaders.omittedBytes, string: String(message.value.count))
            do {
                try await deliver(topic: dlq, key: message.key, value: [], headers: dlqHeaders + [omitted])
            } catch let again as KafkaError where again.isMessageTooLarge {
                Log.error("job not copied to the DLQ", [
                    "partition": .integer(Int64(message.partition)), "offset": .integer(message.offset),
                    "sha256": .string(jobSHA), "error": .string("\(again)"),
                ])
            }
        }
    }

    /// Sends with a few retries on top of librdkafka's own, for a broker that is down
    /// longer than `message.timeout.ms`; refusals that retrying cannot fix are thrown.
    func deliver(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader]) async throws {
        var attempt = 0
        while true {
            do {
                _ = try await producer.send(topic: topic, key: key, value: value, headers: headers)
                return
            } catch let error as KafkaError where error.isRetriable && attempt < 3 && !stop.isRequested {
                attempt += 1
                Log.warn("delivery failed, retrying", ["topic": .string(topic), "attempt": .integer(Int64(attempt)), "error": .string("\(error)")])
                try await Task.sleep(for: .seconds(attempt))
            }
        }
    }
}
