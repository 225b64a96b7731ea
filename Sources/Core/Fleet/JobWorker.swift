import Foundation

/// The worker's loop: take a job, run it, reply, then commit - so a job whose reply
/// was not acknowledged by the broker comes back (at-least-once). A bad job is answered
/// with an error reply (when its `reply_to` can be read) and always copied to the
/// dead-letter topic (without its bytes when they are too large to produce); either way
/// its offset is committed and the loop goes on. A job that computes for long keeps the
/// worker in its group (`GroupKeepAlive`), however long `max.poll.interval.ms` is.
public final class JobWorker: Sendable {
    public struct Options: Sendable {
        public var topics: Topics
        public var pollTimeout: Duration
        /// The worker stops when this process is no longer its parent (the coordinator
        /// that started it died).
        public var parentPID: Int32?

        public init(topics: Topics, pollTimeout: Duration = .milliseconds(200), parentPID: Int32? = nil) {
            self.topics = topics
            self.pollTimeout = pollTimeout
            self.parentPID = parentPID
        }
    }

    /// Error messages quote the job (a bad value, a model name), so the worker cuts them
    /// to this many UTF-8 bytes: error replies and DLQ headers stay small whatever the job.
    public static let maxErrorMessageBytes = 2048

    private let runner: TeacherJobRunner
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let options: Options
    private let stop: StopSignal
    private let metrics: WorkerMetrics

    public init(runner: TeacherJobRunner, consumer: KafkaConsumer, producer: KafkaProducer,
                options: Options, stop: StopSignal, metrics: WorkerMetrics = WorkerMetrics()) {
        self.runner = runner
        self.consumer = consumer
        self.producer = producer
        self.options = options
        self.stop = stop
        self.metrics = metrics
    }

    /// Serves until a stop is requested; then leaves the group. Throws when a reply
    /// cannot be delivered at all (the job stays uncommitted for another worker).
    public func run() async throws {
        try consumer.subscribe(topics: [options.topics.jobs])
        Log.info("worker serving", ["topic": .string(options.topics.jobs), "models": .array(runner.models.keys.sorted().map { .string($0) })])
        defer { consumer.close() }
        var lagReported = ContinuousClock.now
        // Messages polled while a long job kept the group served (GroupKeepAlive), next in line.
        var polledDuringJob: [KafkaMessage] = []
        while !stop.isRequested {
            if !metrics.isReady, !consumer.memberID.isEmpty { metrics.markReady() }
            if ContinuousClock.now - lagReported > .seconds(5) {
                lagReported = ContinuousClock.now
                if let lags = try? consumer.lag() { metrics.consumerLag(lags) }
            }
            if let parent = options.parentPID, getppid() != parent {
                stop.request(reason: "parent process \(parent) exited")
                break
            }
            guard let message = polledDuringJob.isEmpty ? try consumer.poll(timeout: options.pollTimeout)
                                                         : polledDuringJob.removeFirst() else { continue }
            polledDuringJob += try await GroupKeepAlive.during(consumer: consumer) { try await handle(message) }
            do {
                try consumer.commit(message)
            } catch {
                // A commit refused during a rebalance only means the job may come
                // again; replies are deterministic, so the duplicate is harmless.
                Log.warn("commit failed", ["partition": .integer(Int64(message.partition)), "offset": .integer(message.offset), "error": .string("\(error)")])
            }
        }
        Log.info("worker stopping", ["reason": .string(stop.reason ?? "stop requested")])
    }

    /// Runs one job message and delivers its reply (or its error reply and DLQ copy).
    func handle(_ message: KafkaMessage) async throws {
        let started = Date()
        let jobSHA = SHA256.hex(message.value)
        metrics.jobStarted()
        do {
            let job = try JobDecoder.decode(message.value, nowMs: Date().unixMilliseconds)
            let targets = try runner.run(job)
            let headers = [
                KafkaHeader(name: ReplyHeaders.contentType, string: TeacherTargets.contentType),
                KafkaHeader(name: ReplyHeaders.jobID, string: job.id),
                KafkaHeader(name: ReplyHeaders.jobSHA256, string: jobSHA),
            ]
            do {
                try await deliver(topic: job.replyTo, key: Array(job.id.utf8), value: targets.serialized(), headers: headers)
            } catch let error as KafkaError where error.isMessageTooLarge {
                throw JobError(.replyTooLarge, "the broker refused the reply: \(error)", jobID: job.id, replyTo: job.replyTo)
            } catch let error as KafkaError where error.isUnknownTopic {
                throw JobError(.badReplyTo, "the reply topic \(job.replyTo) does not exist: \(error)", jobID: job.id)
            }
            Log.info("job done", [
                "job": .string(job.id), "sequences": .integer(Int64(targets.sequenceCount)),
                "tokens": .integer(Int64(targets.tokenCount)), "rows": .integer(Int64(targets.rowCount)),
                "seconds": .double(Date().timeIntervalSince(started)),
            ])
            metrics.jobEnded(kind: JobKind.teacher.rawValue, status: "done", tokens: targets.tokenCount,
                             seconds: Date().timeIntervalSince(started))
        } catch let error as JobError {
            try await report(error, for: message, jobSHA: jobSHA)
            metrics.jobEnded(kind: JobKind.teacher.rawValue, status: error.code.rawValue, tokens: 0,
                             seconds: Date().timeIntervalSince(started))
        }
    }

    private func report(_ error: JobError, for message: KafkaMessage, jobSHA: String) async throws {
        let peeked = JobDecoder.peekEnvelope(message.value)
        let jobID = error.jobID ?? peeked.id
        let text = Self.bounded(error.message)
        Log.warn("job failed", [
            "job": jobID.map(JSONValue.string) ?? .null, "code": .string(error.code.rawValue),
            "error": .string(text), "partition": .integer(Int64(message.partition)),
            "offset": .integer(message.offset),
        ])
        if let replyTo = error.replyTo ?? peeked.replyTo {
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
        let dlqHeaders = message.headers + [
            KafkaHeader(name: ReplyHeaders.errorCode, string: error.code.rawValue),
            KafkaHeader(name: ReplyHeaders.errorMessage, string: text),
            KafkaHeader(name: ReplyHeaders.sourceTopic, string: message.topic),
            KafkaHeader(name: ReplyHeaders.sourcePartition, string: String(message.partition)),
            KafkaHeader(name: ReplyHeaders.sourceOffset, string: String(message.offset)),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: jobSHA),
        ]
        do {
            try await deliver(topic: options.topics.dlq, key: message.key, value: message.value, headers: dlqHeaders)
        } catch let refusal as KafkaError where refusal.isMessageTooLarge {
            // A job larger than this producer takes (submitted with a larger
            // `message.max.bytes`) is copied without its bytes; their size and hash remain.
            // If even that is refused (a huge key or header), only the log keeps it: throwing
            // would leave the job uncommitted, to stop every worker of the group in turn.
            let omitted = KafkaHeader(name: ReplyHeaders.omittedBytes, string: String(message.value.count))
            do {
                try await deliver(topic: options.topics.dlq, key: message.key, value: [], headers: dlqHeaders + [omitted])
            } catch let again as KafkaError where again.isMessageTooLarge {
                Log.error("job not copied to the DLQ", [
                    "partition": .integer(Int64(message.partition)), "offset": .integer(message.offset),
                    "sha256": .string(jobSHA), "error": .string("\(again)"),
                ])
            }
        }
    }

    /// `message` cut to `maxErrorMessageBytes` of UTF-8 at a character boundary, with an
    /// ellipsis where it was cut.
    static func bounded(_ message: String) -> String {
        guard message.utf8.count > maxErrorMessageBytes else { return message }
        let ellipsis = "\u{2026}"
        let budget = maxErrorMessageBytes - ellipsis.utf8.count
        var kept = ""
        var size = 0
        for character in message {
            size += character.utf8.count
            guard size <= budget else { break }
            kept.append(character)
        }
        return kept + ellipsis
    }

    /// Sends with a few retries on top of librdkafka's own, for a broker that is down
    /// longer than `message.timeout.ms`; refusals that retrying cannot fix are thrown.
    private func deliver(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader]) async throws {
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

extension KafkaError {
    private var produceCode: KafkaErrorCode? {
        switch self {
        case .produceFailed(_, let code, _), .deliveryFailed(_, _, let code): code
        default: nil
        }
    }

    /// The broker or the client refused a message for its size; retrying cannot help.
    var isMessageTooLarge: Bool { produceCode == .messageSizeTooLarge }

    /// The topic does not exist (and the cluster does not create topics on use): a
    /// job's `reply_to` that cannot be answered, not a broker outage.
    var isUnknownTopic: Bool {
        produceCode == .unknownTopicOrPartition || produceCode == .localUnknownTopic
    }

    var isRetriable: Bool { !isMessageTooLarge && !isUnknownTopic }
}
