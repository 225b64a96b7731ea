import Foundation

/// The worker's loop. Generation requests come first (`GenerationService`): while any
/// runs, the batch-job partitions are paused (and still polled, so the group keeps
/// the worker). When none runs, it takes a batch job, runs it, replies, then commits - so
/// a job whose reply was not acknowledged by the broker comes back (at-least-once). A
/// bad job is answered with an error reply (when its `reply_to` can be read) and always
/// copied to the dead-letter topic; either way its offset is committed and the loop goes on.
/// A job that computes for long keeps the worker in its group (`GroupKeepAlive`), however
/// long `max.poll.interval.ms` is.
public final class JobWorker: Sendable {
    public struct Options: Sendable {
        public var topics: Topics
        /// The longest wait for a message when idle (so also how long a request may wait
        /// to be taken by an idle worker).
        public var pollTimeout: Duration
        /// The worker stops when this process is no longer its parent (the coordinator
        /// that started it died).
        public var parentPID: Int32?

        public init(topics: Topics, pollTimeout: Duration = .milliseconds(50), parentPID: Int32? = nil) {
            self.topics = topics
            self.pollTimeout = pollTimeout
            self.parentPID = parentPID
        }
    }

    /// The worker's consumers: `jobs` and `requests` are members of the worker group
    /// (one for each topic, so each can be paused and polled on its own); `control`
    /// belongs to no group (every worker reads every cancel).
    public struct Consumers: Sendable {
        public var jobs: KafkaConsumer
        public var requests: KafkaConsumer
        public var control: KafkaConsumer

        public init(jobs: KafkaConsumer, requests: KafkaConsumer, control: KafkaConsumer) {
            self.jobs = jobs
            self.requests = requests
            self.control = control
        }
    }

    /// Error messages quote the job (a bad value, a model name), so the worker cuts them
    /// to this many UTF-8 bytes: error replies and DLQ headers stay small whatever the job.
    public static let maxErrorMessageBytes = 2048

    private let runner: TeacherJobRunner
    private let consumers: Consumers
    private let producer: KafkaProducer
    private let sender: ReplySender
    private let options: Options
    private let stop: StopSignal
    private let metrics: WorkerMetrics

    public init(runner: TeacherJobRunner, consumers: Consumers, producer: KafkaProducer,
                options: Options, stop: StopSignal, metrics: WorkerMetrics = WorkerMetrics()) {
        self.runner = runner
        self.consumers = consumers
        self.producer = producer
        sender = ReplySender(producer: producer, topics: options.topics, stop: stop)
        self.options = options
        self.stop = stop
        self.metrics = metrics
    }

    /// Serves until a stop is requested; then leaves the group. Generation requests
    /// still running are left uncommitted, for another worker (which streams the same
    /// tokens). Throws when a reply cannot be delivered at all (the job stays
    /// uncommitted for another worker).
    public func run() async throws {
        let jobs = consumers.jobs
        defer {
            jobs.close()
            consumers.requests.close()
            consumers.control.close()
        }
        try jobs.subscribe(topics: [options.topics.jobs])
        let generation = GenerationService(
            models: runner.models, topics: options.topics, requests: consumers.requests,
            cancelFeed: CancelFeed(topic: options.topics.control, consumer: consumers.control, producer: producer),
            sender: sender, metrics: metrics)
        try generation.start()
        Log.info("worker serving", [
            "topics": .array([options.topics.requests, options.topics.jobs].map { .string($0) }),
            "models": .array(runner.models.keys.sorted().map { .string($0) }),
        ])
        let jobPauser = PartitionPauser(jobs)
        // Jobs fetched before a pause took effect (requests running, or a long job keeping
        // the group served) wait here, next in line.
        var heldJobs: [KafkaMessage] = []
        var lagReported = ContinuousClock.now
        while !stop.isRequested {
            if !metrics.isReady, !jobs.memberID.isEmpty, !consumers.requests.memberID.isEmpty { metrics.markReady() }
            if ContinuousClock.now - lagReported > .seconds(5) {
                lagReported = ContinuousClock.now
                metrics.consumerLag(((try? jobs.lag()) ?? []) + ((try? consumers.requests.lag()) ?? []))
            }
            if let parent = options.parentPID, getppid() != parent {
                stop.request(reason: "parent process \(parent) exited")
                break
            }
            try await generation.serve()
            if generation.isBusy {
                try jobPauser.set(paused: true)
                if let message = try jobs.poll(timeout: .zero) { heldJobs.append(message) }
                continue
            }
            try jobPauser.set(paused: false)
            let next = heldJobs.isEmpty ? try jobs.poll(timeout: options.pollTimeout) : heldJobs.removeFirst()
            guard let message = next else { continue }
            // Both members of the group stay in it however long the job computes.
            let requestsPolled = try await GroupKeepAlive.during(consumer: consumers.requests) {
                heldJobs += try await GroupKeepAlive.during(consumer: jobs, reporting: message) { try await handle(message) }
            }
            generation.hold(requestsPolled)
            do {
                try jobs.commit(message)
            } catch {
                // A commit refused during a rebalance only means the job may come
                // again; replies are deterministic, so the duplicate is harmless.
                Log.warn("commit failed", ["partition": .integer(Int64(message.partition)), "offset": .integer(message.offset), "error": .string("\(error)")])
            }
        }
        Log.info("worker stopping", [
            "reason": .string(stop.reason ?? "stop requested"),
            "requests_left": .integer(Int64(generation.runningCount)),
        ])
    }

    /// Runs one teacher job message and delivers its reply (or its error reply and DLQ copy).
    func handle(_ message: KafkaMessage) async throws {
        let started = Date()
        let jobSHA = SHA256.hex(message.value)
        metrics.jobStarted()
        do {
            let job = try JobDecoder.decode(message.value, nowMs: Date().unixMilliseconds)
            try sender.checkReplyTo(job.replyTo, jobID: job.id)
            let (targets, timing) = try runner.timedRun(job)
            try await sender.deliverReply(
                to: job.replyTo, jobID: job.id, value: targets.serialized(),
                headers: ReplySender.replyHeaders(contentType: TeacherTargets.contentType, jobID: job.id, jobSHA: jobSHA))
            Log.info("job done", [
                "job": .string(job.id), "sequences": .integer(Int64(targets.sequenceCount)),
                "tokens": .integer(Int64(targets.tokenCount)), "rows": .integer(Int64(targets.rowCount)),
                "seconds": .double(Date().timeIntervalSince(started)),
                "forward_seconds": .double(timing.forward.inSeconds), "fusion_seconds": .double(timing.fusion.inSeconds),
            ])
            metrics.jobEnded(kind: JobKind.teacher.rawValue, status: "done", tokens: targets.tokenCount,
                             seconds: Date().timeIntervalSince(started))
        } catch let error as JobError {
            try await sender.report(error, for: message, jobSHA: jobSHA)
            metrics.jobEnded(kind: JobKind.teacher.rawValue, status: error.code.rawValue, tokens: 0,
                             seconds: Date().timeIntervalSince(started))
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
}
