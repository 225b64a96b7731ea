import Foundation

/// A coordinator's teacher run: shards a dataset into jobs, submits them, collects the
/// replies and writes the teacher output directory (ARCHITECTURE.md, "Delivery").
///
/// - The reply topic is created before any job is sent and read from its earliest
///   offset, so no reply is missed and replies of an earlier attempt count.
/// - Jobs are spread over the job topic's partitions by the coordinator itself.
/// - The first reply per job id wins; a second one with another `realign-job-sha256`
///   means the id was reused for different contents and is reported.
/// - A job that fails on one of its sequences (too long, bad record, ...) is split into
///   single-sequence jobs, so one bad record fails alone and the run goes on.
/// - Jobs without a reply are submitted again when nothing has come back for
///   `jobTimeout` (longer than the group's session timeout, so a dead worker's jobs
///   have been handed to another member first).
/// - Every reply is saved under `parts/` as it arrives; `--resume` skips what is there.
/// - Run records (`RunRecord`) on the reply topic say how large the run is and which
///   records failed, so that `realign status` can tell its progress from the broker alone.
public final class TeacherRun: Sendable {
    public struct Options: Sendable {
        public var dataPath: String
        public var limit: Int?
        public var ref: String
        public var aligned: String
        public var alignedSystem: String?
        public var lambdas: [Double]
        public var topK: Int
        public var outputDirectory: String
        public var jobTokens: Int?
        public var cutoffLen: Int?
        public var runID: String?
        public var resume: Bool
        public var overwrite: Bool
        public var topics: Topics
        public var jobTimeout: Duration
        public var maxMessageBytes: Int
        public var showProgress: Bool

        public init(dataPath: String, limit: Int?, ref: String, aligned: String, alignedSystem: String?,
                    lambdas: [Double], topK: Int, outputDirectory: String, jobTokens: Int? = nil,
                    cutoffLen: Int? = nil, runID: String? = nil, resume: Bool = false, overwrite: Bool = false,
                    topics: Topics = Topics(), jobTimeout: Duration = .seconds(120),
                    maxMessageBytes: Int = 1_000_000, showProgress: Bool = true) {
            self.dataPath = dataPath
            self.limit = limit
            self.ref = ref
            self.aligned = aligned
            self.alignedSystem = alignedSystem
            self.lambdas = lambdas
            self.topK = topK
            self.outputDirectory = outputDirectory
            self.jobTokens = jobTokens
            self.cutoffLen = cutoffLen
            self.runID = runID
            self.resume = resume
            self.overwrite = overwrite
            self.topics = topics
            self.jobTimeout = jobTimeout
            self.maxMessageBytes = maxMessageBytes
            self.showProgress = showProgress
        }
    }

    /// Where the jobs go: a cluster reached through `kafka`, with its topic creator.
    public struct Fleet: Sendable {
        public var kafka: KafkaConfig
        public var topicCreator: any TopicCreator
        public var replyPartitions: Int
        public var replicationFactor: Int
        /// Checked between polls: a run stops with an error when this says the fleet is
        /// gone (e.g. every embedded worker process exited).
        public var health: @Sendable () -> String?

        public init(kafka: KafkaConfig, topicCreator: any TopicCreator, replyPartitions: Int,
                    replicationFactor: Int, health: @escaping @Sendable () -> String? = { nil }) {
            self.kafka = kafka
            self.topicCreator = topicCreator
            self.replyPartitions = replyPartitions
            self.replicationFactor = replicationFactor
            self.health = health
        }
    }

    /// One job in flight: its dataset sequences and its bytes.
    struct Job: Sendable {
        var id: String
        var sequences: Range<Int>
        var bytes: [UInt8]
        var sha256: String
    }

    public let options: Options
    let stop: StopSignal

    public init(options: Options, stop: StopSignal) {
        self.options = options
        self.stop = stop
    }

    /// A run's dataset and its claimed output directory, settled before any fleet starts,
    /// so that a run that cannot start costs no fleet and leaves an earlier run's
    /// directory (worker logs included) as it was.
    public struct Prepared: Sendable {
        let started: Date
        let sequences: [SequenceInput]
        let directory: TeacherRunDirectory
        let runID: String
    }

    /// Reads the dataset, checks the settings and claims the output directory: a new run
    /// (refused over an earlier one unless `overwrite`), or the interrupted one (`resume`).
    public func prepare() throws -> Prepared {
        let started = Date()
        let sequences = try DatasetReader.read(path: options.dataPath, limit: options.limit)
        guard !sequences.isEmpty else { throw TeacherRunError("\(options.dataPath) holds no records") }
        do {
            try prototypeJob(sequences: [sequences[0]], id: "check").validate()
        } catch {
            // Settings are checked before the record: a per-sequence error means they
            // passed, and a bad first record fails alone like any other.
            guard Self.isPerSequence(error.code) else { throw error }
        }

        let directory = TeacherRunDirectory(path: options.outputDirectory)
        let fingerprint = fingerprint(of: sequences)
        let settings = settings(of: sequences)
        let runID: String
        if options.resume, let record = directory.readRecord() {
            guard record.fingerprint == fingerprint else {
                let changes = record.changes(to: settings)
                let what = changes.isEmpty ? "other data or settings" : "other settings: " + changes.joined(separator: ", ")
                throw TeacherRunError("\(options.outputDirectory) holds a run with \(what); it cannot be resumed with these")
            }
            runID = record.runID
        } else {
            runID = options.runID ?? Self.newRunID()
            guard Topics.isLegalTopicName(options.topics.replies(runID)) else {
                throw TeacherRunError("run id \(runID) does not make a legal topic name")
            }
            try directory.create(.init(runID: runID, fingerprint: fingerprint, settings: settings), overwrite: options.overwrite)
        }
        return Prepared(started: started, sequences: sequences, directory: directory, runID: runID)
    }

    public func run(_ prepared: Prepared, on fleet: Fleet) async throws -> TeacherRunSummary {
        let (started, sequences, directory, runID) = (prepared.started, prepared.sequences, prepared.directory, prepared.runID)
        let existing = directory.existingParts()
        var covered = Set(existing.failures.map(\.sequence))
        for range in existing.targets { covered.formUnion(range) }
        var pending: [String: Job] = [:]
        var order: [String] = []
        let budget = min(options.jobTokens ?? 4096, JobPlanner.replyTokenBudget(
            lambdas: options.lambdas.count, topK: options.topK, maxMessageBytes: options.maxMessageBytes))
        let bounds = sequences.map { JobPlanner.tokenBound($0, alignedSystem: options.alignedSystem) }
        for (index, range) in JobPlanner.plan(tokenBounds: bounds, tokenBudget: budget).enumerated() {
            let id = "\(runID)/" + Self.pad(index)
            let missing = range.filter { !covered.contains($0) }
            if missing.count == range.count {
                let job = makeJob(id: id, range: range, sequences: sequences, runID: runID)
                pending[id] = job
                order.append(id)
            } else {
                for sequence in missing {
                    let job = makeJob(id: "\(id).\(sequence - range.lowerBound)", range: sequence..<(sequence + 1),
                                      sequences: sequences, runID: runID)
                    pending[job.id] = job
                    order.append(job.id)
                }
            }
        }

        let replyTopic = options.topics.replies(runID)
        do {
            try fleet.topicCreator.createTopics([replyTopic], partitions: fleet.replyPartitions,
                                                replicationFactor: fleet.replicationFactor)
        } catch let error as KafkaError where error.isAdminUnanswered {
            // A cluster without the Admin API (e.g. `realign broker`, librdkafka's mock):
            // the topic is created on first use, with the cluster's default partitions.
            Log.warn("topic not created; relying on the cluster creating the reply topic on use",
                     ["topic": .string(replyTopic), "reason": .string(error.description)])
        }
        let producer = try KafkaProducer(config: fleet.kafka)
        let replyPartitions = try producer.partitionCount(topic: replyTopic) ?? fleet.replyPartitions
        let replies = try KafkaConsumer(config: fleet.kafka)
        defer { replies.close() }
        try replies.assign(topic: replyTopic, partitions: (0..<Int32(replyPartitions)).map { $0 })
        let jobPartitions = try producer.partitionCount(topic: options.topics.jobs)

        let progress = ProgressBar(total: sequences.count, unit: "sequences", rateUnit: "tokens",
                                   enabled: options.showProgress && isatty(STDERR_FILENO) == 1)
        progress.advance(by: covered.count)
        Log.info("teacher run", [
            "run": .string(runID), "sequences": .integer(Int64(sequences.count)),
            "jobs": .integer(Int64(pending.count)), "done": .integer(Int64(covered.count)),
            "reply_topic": .string(replyTopic),
        ])
        // The run-start record goes first, so a reader of the topic knows the run's size
        // before any reply of this attempt.
        let start = RunRecord.start(.init(runID: runID, sequences: sequences.count, jobs: pending.count,
                                          alreadyDone: covered.count, resumed: options.resume, startedAtMs: Date().unixMilliseconds))
        try await send(start, on: replyTopic, key: runID, producer: producer)

        var received: [String: String] = [:]
        var failures = existing.failures
        var tokensThisRun = 0
        var lastProgress = ContinuousClock.now

        func fail(_ failure: TeacherRunDirectory.Failure) async throws {
            // Recorded on the topic before it is saved: a coordinator that dies in
            // between submits the job again on --resume and records it again.
            let record = RunRecord.sequenceFailed(.init(sequence: failure.sequence, id: sequences[failure.sequence].id,
                                                        code: failure.code, message: failure.message))
            try await send(record, on: replyTopic, key: runID, producer: producer)
            try directory.saveFailure(failure)
            failures.append(failure)
            progress.advance(by: 1)
            Log.warn("record failed", ["sequence": .string(sequences[failure.sequence].id), "code": .string(failure.code), "error": .string(failure.message)])
        }
        func singles(of job: Job) -> [Job] {
            job.sequences.map { sequence in
                makeJob(id: "\(job.id).\(sequence - job.sequences.lowerBound)", range: sequence..<(sequence + 1),
                        sequences: sequences, runID: runID)
            }
        }
        /// Submits jobs; one the cluster refuses as too large is split into its records,
        /// and a record too large alone fails by itself.
        func submitAll(_ jobs: [Job]) async throws {
            for job in try await submit(jobs, producer: producer, partitions: jobPartitions) {
                pending[job.id] = nil
                if job.sequences.count > 1 {
                    let split = singles(of: job)
                    for single in split {
                        pending[single.id] = single
                        order.append(single.id)
                    }
                    try await submitAll(split)
                } else {
                    try await fail(.init(sequence: job.sequences.lowerBound, code: JobErrorCode.tooLong.rawValue,
                                         message: "its job is \(job.bytes.count) bytes, over the cluster's message size limit"))
                }
            }
        }

        try await submitAll(order.compactMap { pending[$0] })
        while !pending.isEmpty {
            if stop.isRequested { throw TeacherRunError("interrupted (\(stop.reason ?? "stop")); continue with --resume") }
            if let problem = fleet.health() { throw TeacherRunError(problem) }
            if ContinuousClock.now - lastProgress > options.jobTimeout {
                Log.warn("no reply for a while; submitting the outstanding jobs again", ["jobs": .integer(Int64(pending.count))])
                try await submitAll(order.compactMap { pending[$0] })
                lastProgress = ContinuousClock.now
            }
            guard let message = try replies.poll(timeout: .milliseconds(200)) else { continue }
            if RunRecord.isRecord(message) { continue }
            guard let jobID = message.header(ReplyHeaders.jobID).flatMap({ String(validating: $0, as: UTF8.self) }) ?? message.keyString else {
                Log.warn("reply without a job id ignored", ["offset": .integer(message.offset)])
                continue
            }
            let sha = message.header(ReplyHeaders.jobSHA256).flatMap { String(validating: $0, as: UTF8.self) } ?? ""
            if let first = received[jobID] {
                if first != sha { Log.warn("job id reused with different contents", ["job": .string(jobID)]) }
                continue
            }
            guard let job = pending[jobID] else { continue }
            guard sha == job.sha256 else {
                Log.warn("reply for other contents of this job id ignored", ["job": .string(jobID)])
                continue
            }
            received[jobID] = sha
            pending[jobID] = nil
            lastProgress = ContinuousClock.now

            if message.header(ReplyHeaders.status).flatMap({ String(validating: $0, as: UTF8.self) }) == "error" {
                let reply = try ErrorReply.decode(message.value)
                if job.sequences.count > 1 && Self.isPerSequence(reply.code) {
                    let split = singles(of: job)
                    for single in split {
                        pending[single.id] = single
                        order.append(single.id)
                    }
                    try await submitAll(split)
                } else if Self.isPerSequence(reply.code) {
                    try await fail(.init(sequence: job.sequences.lowerBound, code: reply.code.rawValue, message: reply.message))
                } else {
                    throw TeacherRunError("job \(job.id) failed: \(reply.code.rawValue): \(reply.message)")
                }
                continue
            }
            try directory.saveTargets(message.value, sequences: job.sequences)
            let targets = try directory.loadTargets(job.sequences)
            tokensThisRun += targets.tokenCount
            progress.advance(by: targets.sequenceCount, rateCount: targets.tokenCount)
        }
        progress.finish()
        try producer.flush(timeout: .seconds(10))
        return try writeOutput(directory: directory, runID: runID, sequences: sequences, failures: failures,
                               started: started, tokensThisRun: tokensThisRun)
    }

    /// Errors that concern one sequence of a job; any other error concerns the job's
    /// settings and would fail every job alike.
    static func isPerSequence(_ code: JobErrorCode) -> Bool {
        [.tooLong, .badSequence, .tokenOutOfRange, .badPromptLen, .replyTooLarge].contains(code)
    }

    private func send(_ record: RunRecord, on topic: String, key: String, producer: KafkaProducer) async throws {
        _ = try await producer.send(topic: topic, key: Array(key.utf8), value: record.jsonValue.jsonBytes, headers: record.headers)
    }

    /// Produces the jobs; returns the ones the cluster refused as larger than a message
    /// may be (by the producer's `message.max.bytes` or the topic's limit).
    private func submit(_ jobs: [Job], producer: KafkaProducer, partitions: Int?) async throws -> [Job] {
        let topic = options.topics.jobs
        return try await withThrowingTaskGroup(of: Job?.self) { group in
            // Round-robin over the partitions, so consecutive jobs go to different workers.
            for (ordinal, job) in jobs.enumerated() {
                let partition = partitions.map { Int32(ordinal % $0) }
                group.addTask {
                    do {
                        _ = try await producer.send(topic: topic, partition: partition, key: Array(job.id.utf8), value: job.bytes)
                        return nil
                    } catch let error as KafkaError where error.isMessageTooLarge {
                        return job
                    }
                }
            }
            var refused: [Job] = []
            for try await job in group { if let job { refused.append(job) } }
            return refused.sorted { $0.sequences.lowerBound < $1.sequences.lowerBound }
        }
    }

    private func prototypeJob(sequences: [SequenceInput], id: String, replyTo: String = "realign.check") -> TeacherJob {
        TeacherJob(id: id, replyTo: replyTo, ref: options.ref, aligned: options.aligned, alignedSystem: options.alignedSystem,
                   lambdas: options.lambdas, topK: options.topK, sequences: sequences, cutoffLen: options.cutoffLen)
    }

    private func makeJob(id: String, range: Range<Int>, sequences: [SequenceInput], runID: String) -> Job {
        let job = prototypeJob(sequences: Array(sequences[range]), id: id, replyTo: options.topics.replies(runID))
        let bytes = job.jsonBytes()
        return Job(id: id, sequences: range, bytes: bytes, sha256: SHA256.hex(bytes))
    }

    private func fingerprint(of sequences: [SequenceInput]) -> String {
        let settings = prototypeJob(sequences: sequences, id: "fingerprint", replyTo: "fingerprint")
        var bytes = settings.jsonBytes()
        bytes += Array("\(options.jobTokens ?? 0)".utf8)
        return SHA256.hex(bytes)
    }

    /// What `fingerprint` covers, setting by setting, for run.json.
    private func settings(of sequences: [SequenceInput]) -> [String: String] {
        [
            "data": SHA256.hex(JSONValue.array(sequences.map(TeacherJob.jsonValue(of:))).jsonText),
            "ref": options.ref, "aligned": options.aligned, "aligned_system": options.alignedSystem ?? "",
            "lambdas": options.lambdas.map { "\($0)" }.joined(separator: ","), "top_k": "\(options.topK)",
            "cutoff_len": options.cutoffLen.map { "\($0)" } ?? "", "job_tokens": options.jobTokens.map { "\($0)" } ?? "",
        ]
    }

    private func writeOutput(directory: TeacherRunDirectory, runID: String, sequences: [SequenceInput],
                             failures: [TeacherRunDirectory.Failure], started: Date, tokensThisRun: Int) throws -> TeacherRunSummary {
        let parts = directory.existingParts().targets.sorted { $0.lowerBound < $1.lowerBound }
        let failed = Set(failures.map(\.sequence))
        let written = sequences.indices.filter { !failed.contains($0) }
        guard let first = parts.first else { throw TeacherRunError("no record produced targets; see the failures in the log") }
        let template = try directory.loadTargets(first).metadata
        var writer = try TeacherOutputWriter(
            directory: directory.path, runID: runID, sequenceIDs: written.map { sequences[$0].id },
            template: template, startedAt: started)
        var position: [Int: Int] = [:]
        for (index, sequence) in written.enumerated() { position[sequence] = index }
        var summary = TeacherRunSummary(outputDirectory: directory.path, runID: runID, lambdaTags: template.lambdaTags)
        var logProbSums = [Double](repeating: 0, count: template.lambdaTags.count)
        for range in parts {
            let targets = try directory.loadTargets(range).withJobID(nil)
            try writer.add(targets, firstSequence: position[range.lowerBound]!)
            summary.sequences += targets.sequenceCount
            summary.tokens += targets.tokenCount
            summary.responseRows += targets.rowCount
            for (l, lambda) in targets.lambdas.enumerated() {
                logProbSums[l] += lambda.targetLogprob.reduce(0.0) { $0 + Double($1) }
            }
        }
        try writer.recordFailures(failures.sorted { $0.sequence < $1.sequence }.map {
            .init(sequence: $0.sequence, id: sequences[$0.sequence].id, code: $0.code, message: $0.message)
        })
        let finished = Date()
        try writer.finish(finishedAt: finished)
        summary.failed = failures.count
        summary.seconds = finished.timeIntervalSince(started)
        summary.tokensThisRun = tokensThisRun
        summary.meanTargetLogProb = logProbSums.map { summary.responseRows > 0 ? $0 / Double(summary.responseRows) : 0 }
        return summary
    }

    static func pad(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }
}

/// What a finished teacher run prints.
public struct TeacherRunSummary: Sendable {
    public var outputDirectory: String
    public var runID: String
    public var lambdaTags: [String]
    public var sequences = 0
    public var failed = 0
    public var tokens = 0
    public var responseRows = 0
    public var seconds = 0.0
    /// Tokens computed by this invocation (a resumed run counts only its own).
    public var tokensThisRun = 0
    /// Mean log-probability of the reference responses under each lambda's teacher.
    public var meanTargetLogProb: [Double] = []

    public var text: String {
        var lines = [
            "teacher targets written to \(outputDirectory) (run \(runID))",
            "  sequences: \(sequences)" + (failed > 0 ? " (\(failed) failed, listed under failures in manifest.json)" : ""),
            "  tokens: \(tokens), response rows: \(responseRows)",
            String(format: "  time: %.1f s, %.0f tokens/s", seconds, seconds > 0 ? Double(tokensThisRun) / seconds : 0),
            "  mean log-prob of the reference responses:",
        ]
        for (tag, value) in zip(lambdaTags, meanTargetLogProb) {
            lines.append(String(format: "    lambda %@: %.4f", tag, value))
        }
        return lines.joined(separator: "\n")
    }
}
