import Foundation

/// The interactive side of a worker (docs/generation.md): takes generation requests
/// from `<prefix>.requests`, runs them in one decode session per model and mode
/// (continuous batching: a request joins at the next step), streams their replies, and
/// stops the ones cancelled on the control topic. A request that fails is answered with
/// an error reply (and a DLQ copy, unless it was cancelled) and leaves its batch; the
/// others go on. Offsets are committed per partition up to the lowest request not yet
/// answered.
///
/// Used from the worker's loop only: decode sessions belong to one thread at a time.
final class GenerationService {
    /// Requests taken at once, over all batches; further ones wait on the topic.
    static let maxRequests = 16

    private let models: [String: ServedModel]
    private let topic: String
    private let requests: KafkaConsumer
    private let requestsPauser: PartitionPauser
    private let cancelFeed: CancelFeed
    private let sender: ReplySender
    private let metrics: WorkerMetrics
    /// Tells this process's executions apart from any other's (`attempt`).
    private let workerTag = "w-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    private var executions = 0
    private var sessions: [PreparedGeneration.BatchKey: DecodeSession] = [:]
    private var running: [String: GenerationInFlight] = [:]
    /// Requests whose id is running already (a redelivery, or a reused id): they start
    /// when it has finished.
    private var waiting: [(message: KafkaMessage, job: GenerationJob, prepared: PreparedGeneration, jobSHA: String)] = []
    /// Requests polled while the worker could not take them (its batch full, or a long
    /// batch job keeping the group served), next in line.
    private var held: [KafkaMessage] = []
    private var offsets = RequestOffsets()
    private var cancels = RecentCancels()

    init(models: [String: ServedModel], topics: Topics, requests: KafkaConsumer, cancelFeed: CancelFeed,
         sender: ReplySender, metrics: WorkerMetrics) {
        self.models = models
        topic = topics.requests
        self.requests = requests
        requestsPauser = PartitionPauser(requests)
        self.cancelFeed = cancelFeed
        self.sender = sender
        self.metrics = metrics
    }

    /// Joins the group for the requests topic.
    func start() throws {
        try requests.subscribe(topics: [topic])
    }

    /// Whether requests are running or waiting (batch jobs wait meanwhile).
    var isBusy: Bool { !running.isEmpty || !waiting.isEmpty || !held.isEmpty }

    /// Requests polled elsewhere (while a long batch job kept the group served), taken
    /// before any new one.
    func hold(_ messages: [KafkaMessage]) {
        held += messages
    }

    var runningCount: Int { running.count }

    private var hasRoom: Bool { running.count + waiting.count < Self.maxRequests }

    /// One round, without waiting for messages: applies the cancels read, takes the
    /// requests there is room for, then runs one decode step of every batch and sends
    /// the replies it made due.
    func serve() async throws {
        for id in try cancelFeed.drain() { try await cancel(id) }
        // Full, the worker keeps polling (so the group keeps it) but takes nothing new.
        try requestsPauser.set(paused: !hasRoom)
        while hasRoom, let message = held.isEmpty ? try requests.poll(timeout: .zero) : held.removeFirst() {
            try await take(message)
        }
        if !hasRoom, let message = try requests.poll(timeout: .zero) { held.append(message) }
        try await startWaiting()
        if !running.isEmpty { try await step() }
    }

    private func take(_ message: KafkaMessage) async throws {
        offsets.take(partition: message.partition, offset: message.offset)
        metrics.jobStarted()
        let jobSHA = SHA256.hex(message.value)
        let taken = Date()
        do {
            let job = try JobDecoder.decodeGeneration(message.value)
            try sender.checkReplyTo(job.replyTo, jobID: job.id)
            if cancels.contains(job.id) {
                throw JobError(.cancelled, "cancelled before it started", jobID: job.id, replyTo: job.replyTo)
            }
            let prepared = try PreparedGeneration.prepare(job, models: models)
            if running[job.id] != nil {
                waiting.append((message, job, prepared, jobSHA))
            } else {
                try begin(message: message, job: job, prepared: prepared, jobSHA: jobSHA)
            }
        } catch let error as JobError {
            try await fail(error, message: message, jobSHA: jobSHA, since: taken)
        }
    }

    private func begin(message: KafkaMessage, job: GenerationJob, prepared: PreparedGeneration, jobSHA: String) throws(JobError) {
        let session = sessions[prepared.key] ?? DecodeSession(model: prepared.decodingModel, tokenizer: prepared.tokenizer)
        sessions[prepared.key] = session
        do {
            try session.add(prepared.request)
        } catch {
            throw JobError(.internal, "the decode session refused the request: \(error.problem)", jobID: job.id, replyTo: job.replyTo)
        }
        executions += 1
        running[job.id] = GenerationInFlight(message: message, job: job, prepared: prepared, jobSHA: jobSHA,
                                             attempt: "\(workerTag)-\(executions)")
    }

    private func startWaiting() async throws {
        var index = 0
        while index < waiting.count {
            let entry = waiting[index]
            guard running[entry.job.id] == nil else {
                index += 1
                continue
            }
            waiting.remove(at: index)
            do {
                try begin(message: entry.message, job: entry.job, prepared: entry.prepared, jobSHA: entry.jobSHA)
            } catch {
                try await fail(error, message: entry.message, jobSHA: entry.jobSHA, since: Date())
            }
        }
    }

    /// Stops the request with this id wherever it is here, and remembers the id for
    /// requests that come later.
    private func cancel(_ id: String) async throws {
        cancels.remember(id)
        let error = { (replyTo: String) in JobError(.cancelled, "cancelled on the control topic", jobID: id, replyTo: replyTo) }
        if let flight = running.removeValue(forKey: id) {
            sessions[flight.prepared.key]?.cancel(id: id)
            try await fail(error(flight.job.replyTo), message: flight.message, jobSHA: flight.jobSHA, since: flight.started)
        }
        let cancelled = waiting.filter { $0.job.id == id }
        waiting.removeAll { $0.job.id == id }
        for entry in cancelled {
            try await fail(error(entry.job.replyTo), message: entry.message, jobSHA: entry.jobSHA, since: Date())
        }
    }

    /// One decode step of every batch; the replies due go out concurrently across
    /// requests (in order within each), and are all acknowledged before the next step.
    private func step() async throws {
        var due: [(flight: GenerationInFlight, replies: [[UInt8]])] = []
        for session in sessions.values where !session.isEmpty {
            for update in session.step() {
                guard let flight = running[update.id] else { continue }
                let replies = flight.absorb(update)
                if !replies.isEmpty { due.append((flight, replies.map(\.jsonBytes))) }
            }
        }
        let failures = await deliver(due)
        for (flight, _) in due {
            if let failure = failures[flight.id] {
                guard let error = failure as? JobError else { throw failure }
                running[flight.id] = nil
                sessions[flight.prepared.key]?.cancel(id: flight.id)
                try await fail(error, message: flight.message, jobSHA: flight.jobSHA, since: flight.started)
            } else if let reason = flight.finishReason {
                running[flight.id] = nil
                finished(flight, reason: reason)
            }
        }
    }

    /// Sends each request's replies; returns the failure of each request whose replies
    /// did not all go out.
    private func deliver(_ due: [(flight: GenerationInFlight, replies: [[UInt8]])]) async -> [String: any Error] {
        let sender = sender
        return await withTaskGroup(of: (String, (any Error)?).self) { group in
            for (flight, replies) in due {
                let id = flight.id
                let replyTo = flight.job.replyTo
                let headers = ReplySender.replyHeaders(contentType: ReplyHeaders.jsonContentType, jobID: id, jobSHA: flight.jobSHA)
                group.addTask {
                    do {
                        for value in replies { try await sender.deliverReply(to: replyTo, jobID: id, value: value, headers: headers) }
                        return (id, nil)
                    } catch {
                        return (id, error)
                    }
                }
            }
            var failures: [String: any Error] = [:]
            for await (id, error) in group { if let error { failures[id] = error } }
            return failures
        }
    }

    private func finished(_ flight: GenerationInFlight, reason: FinishReason) {
        let seconds = Date().timeIntervalSince(flight.started)
        let tokens = flight.tokenIDs.count
        Log.info("generation done", [
            "job": .string(flight.id), "attempt": .string(flight.attempt), "batch": .string(flight.prepared.key.description),
            "prompt_tokens": .integer(Int64(flight.prepared.request.promptIds.count)), "completion_tokens": .integer(Int64(tokens)),
            "finish_reason": .string(reason.rawValue), "seconds": .double(seconds),
        ])
        metrics.jobEnded(kind: JobKind.generate.rawValue, status: "done", tokens: tokens, seconds: seconds)
        done(flight.message)
    }

    private func fail(_ error: JobError, message: KafkaMessage, jobSHA: String, since start: Date) async throws {
        try await sender.report(error, for: message, jobSHA: jobSHA, copyToDLQ: error.code != .cancelled)
        metrics.jobEnded(kind: JobKind.generate.rawValue, status: error.code.rawValue, tokens: 0,
                         seconds: Date().timeIntervalSince(start))
        done(message)
    }

    /// Commits what the request's answer completes of its partition.
    private func done(_ message: KafkaMessage) {
        guard let through = offsets.finish(partition: message.partition, offset: message.offset) else { return }
        do {
            try requests.commit(topic: message.topic, partition: message.partition, offset: through)
        } catch {
            // Refused during a rebalance: the requests may come again, and generate the same tokens.
            Log.warn("commit failed", ["topic": .string(message.topic), "partition": .integer(Int64(message.partition)),
                                       "offset": .integer(through), "error": .string("\(error)")])
        }
    }
}
