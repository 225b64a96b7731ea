import Foundation
import Synchronization

/// A client of the generation contract (docs/generation.md): produces requests on
/// `<prefix>.requests` with ids `<client-id>/<n>`, reads its own reply topic
/// `<prefix>.replies.<client-id>` (created before anything is submitted, read from its
/// start) and hands each request's replies to its caller, once each and in order.
///
/// - Replies of every attempt are merged by `seq` (`ReplySequencer`).
/// - A request with no reply for `resubmitAfter` is produced again (same id and bytes,
///   so a worker generates the same tokens); after `maxSubmissions` it fails `noReply`.
/// - `cancel` (or a caller that stops listening) produces a cancel on
///   `<prefix>.control` and forgets the request.
/// - A reply whose `realign-job-sha256` is not the hash of our request's bytes answers
///   another request that reused the id, and is ignored.
///
/// Replies are read on a thread of the client's own; callbacks run on it, so they
/// should return quickly. Safe to use from any thread or task.
public final class GenerationClient: Sendable {
    public struct Options: Sendable {
        public var topics: Topics
        /// Names the reply topic and prefixes request ids; unique per client process.
        public var clientID: String
        public var replyPartitions: Int
        public var replicationFactor: Int
        /// Longer than the workers' session timeout, so a dead worker's requests have
        /// been handed to another member before they are submitted again.
        public var resubmitAfter: Duration
        public var maxSubmissions: Int

        public init(topics: Topics = Topics(), clientID: String = GenerationClient.newClientID(prefix: "client"),
                    replyPartitions: Int = 4, replicationFactor: Int = 1, resubmitAfter: Duration = .seconds(600),
                    maxSubmissions: Int = 3) {
            self.topics = topics
            self.clientID = clientID
            self.replyPartitions = replyPartitions
            self.replicationFactor = replicationFactor
            self.resubmitAfter = resubmitAfter
            self.maxSubmissions = maxSubmissions
        }
    }

    /// Receives a request's events, then either `.finished` or one error.
    public typealias Listener = @Sendable (Result<GenerationEvent, GenerationClientError>) -> Void

    public let options: Options
    public var replyTopic: String { options.topics.replies(options.clientID) }
    private let router: ReplyRouter
    private let poller: PollingThread

    /// Creates the reply topic, starts reading it and returns a client ready to submit.
    /// - Parameter health: asked about once a second; a reason fails every request and
    ///   closes the client (e.g. every embedded worker exited).
    public init(kafka: KafkaConfig, topicCreator: any TopicCreator, options: Options = Options(),
                health: @escaping @Sendable () -> String? = { nil }) throws {
        self.options = options
        let replyTopic = options.topics.replies(options.clientID)
        guard Topics.isLegalTopicName(replyTopic) else {
            throw GenerationClientError.unavailable("client id \(options.clientID) does not make a legal topic name")
        }
        do {
            try topicCreator.createTopics([replyTopic], partitions: options.replyPartitions,
                                          replicationFactor: options.replicationFactor)
        } catch let error as KafkaError where error.isAdminUnanswered {
            // A cluster without the Admin API (librdkafka's mock): made on first use.
            Log.warn("topic not created; relying on the cluster creating the reply topic on use",
                     ["topic": .string(replyTopic), "reason": .string(error.description)])
        }
        let producer = try KafkaProducer(config: kafka)
        let replyPartitions = try producer.partitionCount(topic: replyTopic) ?? options.replyPartitions
        let consumer = try KafkaConsumer(config: kafka)
        try consumer.assign(topic: replyTopic, partitions: (0..<Int32(replyPartitions)).map { $0 }, from: .beginning)
        let router = ReplyRouter(options: options, producer: producer, consumer: consumer,
                                 requestPartitions: try producer.partitionCount(topic: options.topics.requests), health: health)
        self.router = router
        poller = PollingThread { router.pollOnce() }
    }

    deinit {
        close()
    }

    /// Submits a request; `listener` gets its events. The returned id cancels it.
    @discardableResult
    public func submit(_ parameters: GenerateParameters, deadlineMs: Int64 = 0, listener: @escaping Listener) -> String {
        router.submit(parameters, deadlineMs: deadlineMs, listener: listener)
    }

    /// A request's events as an async sequence: text events, then `.finished`; an error
    /// reply or a lost request ends it with a `GenerationClientError`. Ending the
    /// iteration early cancels the request.
    public func stream(_ parameters: GenerateParameters, deadlineMs: Int64 = 0) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let id = submit(parameters, deadlineMs: deadlineMs) { result in
            switch result {
            case .success(let event):
                continuation.yield(event)
                if case .finished = event { continuation.finish() }
            case .failure(let error):
                continuation.finish(throwing: error)
            }
        }
        let router = self.router
        continuation.onTermination = { termination in
            if case .cancelled = termination { router.cancel(id: id) }
        }
        return stream
    }

    /// Stops a request wherever it runs; its listener hears nothing more. Returns
    /// whether it was still pending (false: already answered, or unknown).
    @discardableResult
    public func cancel(id: String) -> Bool {
        router.cancel(id: id)
    }

    /// Requests submitted and not yet answered.
    public var pendingCount: Int { router.pendingCount }

    /// Stops reading replies; requests still pending fail `unavailable`. Idempotent.
    public func close() {
        poller.stopAndJoin()
        router.shutdown(reason: "the client was closed")
    }

    /// `<prefix>-<utc time>-<random>`: a fresh reply topic for every client process, so
    /// replies to an earlier process's requests are never taken for this one's.
    public static func newClientID(prefix: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "\(prefix)-\(formatter.string(from: Date()))-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }
}

/// The client's moving parts: the pending requests (under a lock), the reply consumer
/// (used only by the polling thread) and the producer.
final class ReplyRouter: Sendable {
    struct Pending {
        var bytes: [UInt8]
        var sha256: String
        var partition: Int32?
        var listener: GenerationClient.Listener
        var sequencer = ReplySequencer()
        var lastActivity: ContinuousClock.Instant
        var submissions = 1
    }

    struct State {
        var pending: [String: Pending] = [:]
        var nextNumber = 0
        var closedReason: String?
        var lastHealthCheck = ContinuousClock.now
    }

    let options: GenerationClient.Options
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    let requestPartitions: Int?
    let health: @Sendable () -> String?
    let state = Mutex(State())

    init(options: GenerationClient.Options, producer: KafkaProducer, consumer: KafkaConsumer, requestPartitions: Int?,
         health: @escaping @Sendable () -> String?) {
        self.options = options
        self.producer = producer
        self.consumer = consumer
        self.requestPartitions = requestPartitions
        self.health = health
    }

    var pendingCount: Int { state.withLock { $0.pending.count } }

    func submit(_ parameters: GenerateParameters, deadlineMs: Int64, listener: @escaping GenerationClient.Listener) -> String {
        let replyTopic = options.topics.replies(options.clientID)
        let submission: (id: String, bytes: [UInt8], partition: Int32?, closedReason: String?) = state.withLock { state in
            let number = state.nextNumber
            state.nextNumber += 1
            let id = "\(options.clientID)/" + String(format: "%06d", number)
            let bytes = parameters.requestBytes(id: id, replyTo: replyTopic, deadlineMs: deadlineMs)
            // Round-robin, so consecutive requests reach different workers.
            let partition = requestPartitions.map { Int32(number % $0) }
            if let reason = state.closedReason { return (id, bytes, partition, reason) }
            state.pending[id] = Pending(bytes: bytes, sha256: SHA256.hex(bytes), partition: partition,
                                        listener: listener, lastActivity: .now)
            return (id, bytes, partition, nil)
        }
        if let reason = submission.closedReason {
            listener(.failure(.unavailable(reason)))
        } else {
            send(id: submission.id, bytes: submission.bytes, partition: submission.partition)
        }
        return submission.id
    }

    @discardableResult
    func cancel(id: String) -> Bool {
        let wasPending = state.withLock { $0.pending.removeValue(forKey: id) != nil }
        guard wasPending else { return false }
        let cancel = JSONValue.object([
            JSONMember("schema", .integer(TeacherJob.schema)), JSONMember("kind", .string("cancel")), JSONMember("id", .string(id)),
        ]).jsonBytes
        let (producer, topic) = (self.producer, options.topics.control)
        Log.info("request cancelled", ["id": .string(id)])
        Task {
            do {
                _ = try await producer.send(topic: topic, key: Array(id.utf8), value: cancel)
            } catch {
                Log.warn("cancel not delivered", ["id": .string(id), "error": .string("\(error)")])
            }
        }
        return true
    }

    func shutdown(reason: String) {
        fail(reason: reason)
        consumer.close()
        try? producer.flush(timeout: .seconds(5))
    }

    /// One turn of the polling thread: a reply (if any), then timeouts and health.
    func pollOnce() {
        guard state.withLock({ $0.closedReason == nil }) else {
            usleep(50_000)
            return
        }
        do {
            if let message = try consumer.poll(timeout: .milliseconds(100)) { route(message) }
        } catch {
            fail(reason: "reading \(options.topics.replies(options.clientID)): \(error)")
            return
        }
        checkTimeouts()
        let checkHealth = state.withLock { state in
            guard ContinuousClock.now - state.lastHealthCheck > .seconds(1) else { return false }
            state.lastHealthCheck = .now
            return true
        }
        if checkHealth, let problem = health() { fail(reason: problem) }
    }

    private func route(_ message: KafkaMessage) {
        let isError = message.header(ReplyHeaders.status).flatMap { String(validating: $0, as: UTF8.self) } == "error"
        let reply: GenerateReply
        do {
            reply = try GenerateReply.decode(message.value, isError: isError)
        } catch {
            Log.warn("unreadable reply ignored", ["offset": .integer(message.offset), "error": .string(error.description)])
            return
        }
        guard let id = reply.id ?? message.header(ReplyHeaders.jobID).flatMap({ String(validating: $0, as: UTF8.self) }) ?? message.keyString else {
            Log.warn("reply without a request id ignored", ["offset": .integer(message.offset)])
            return
        }
        let sha = message.header(ReplyHeaders.jobSHA256).flatMap { String(validating: $0, as: UTF8.self) }
        let delivery: (listener: GenerationClient.Listener, events: [GenerationEvent], failure: GenerateReply.Failure?)? = state.withLock { state in
            guard var pending = state.pending[id] else { return nil }
            if let sha, sha != pending.sha256 {
                Log.warn("reply for other contents of this request id ignored", ["id": .string(id)])
                return nil
            }
            pending.lastActivity = .now
            let events = pending.sequencer.accept(reply)
            if pending.sequencer.isFinished {
                state.pending[id] = nil
            } else {
                state.pending[id] = pending
            }
            if case .failure(let failure) = reply { return (pending.listener, [], failure) }
            return (pending.listener, events, nil)
        }
        guard let delivery else { return }
        for event in delivery.events { delivery.listener(.success(event)) }
        if let failure = delivery.failure { delivery.listener(.failure(.failed(failure))) }
    }

    private func checkTimeouts() {
        let now = ContinuousClock.now
        let (resend, expired): ([(String, Pending)], [(String, Pending)]) = state.withLock { state in
            var resend: [(String, Pending)] = []
            var expired: [(String, Pending)] = []
            for (id, pending) in state.pending where now - pending.lastActivity > options.resubmitAfter {
                if pending.submissions >= options.maxSubmissions {
                    expired.append((id, pending))
                    state.pending[id] = nil
                } else {
                    state.pending[id]!.submissions += 1
                    state.pending[id]!.lastActivity = now
                    resend.append((id, pending))
                }
            }
            return (resend, expired)
        }
        let seconds = Double(options.resubmitAfter.components.seconds)
        for (id, pending) in expired {
            pending.listener(.failure(.noReply(id: id, submissions: pending.submissions, secondsEach: seconds)))
        }
        for (id, pending) in resend {
            Log.warn("no reply for a while; submitting the request again", ["id": .string(id), "submission": .integer(Int64(pending.submissions + 1))])
            send(id: id, bytes: pending.bytes, partition: pending.partition)
        }
    }

    private func fail(reason: String) {
        let listeners: [GenerationClient.Listener] = state.withLock { state in
            guard state.closedReason == nil else { return [] }
            state.closedReason = reason
            defer { state.pending = [:] }
            return state.pending.values.map(\.listener)
        }
        for listener in listeners { listener(.failure(.unavailable(reason))) }
    }

    private func send(id: String, bytes: [UInt8], partition: Int32?) {
        let (producer, topic) = (self.producer, options.topics.requests)
        Task {
            do {
                _ = try await producer.send(topic: topic, partition: partition, key: Array(id.utf8), value: bytes)
            } catch {
                let listener = state.withLock { $0.pending.removeValue(forKey: id)?.listener }
                if let error = error as? KafkaError, error.isMessageTooLarge {
                    // This request's own fault, answered like the worker's refusals.
                    listener?(.failure(.failed(.init(id: id, code: JobErrorCode.tooLong.rawValue,
                        message: "the request is \(bytes.count) bytes, over the cluster's message size limit"))))
                } else {
                    listener?(.failure(.submitFailed(id: id, reason: "\(error)")))
                }
            }
        }
    }
}
