import Foundation
import Synchronization
import Testing
@testable import Core

/// A fleet whose broker the test holds, so that the test can break it: librdkafka's mock
/// cluster hosted in this test process (its fault injection is `EmbeddedBroker`'s API),
/// the fleet's topics, and real `realign-worker` processes (the release binary beside the
/// test executable, or `REALIGN_WORKER`) with the embedded fleet's group timings and a
/// status port each. Teacher runs go through the product's coordinator, `TeacherRun`,
/// in this process, and faults are injected from a thread of their own (`onThread`),
/// which a coordinator busy polling on the test's few cooperative threads cannot hold up.
/// Workers are stopped (SIGTERM, then SIGKILL) when this is released, and exit by
/// themselves if the test process dies (`--parent-pid`).
final class FaultFleet: Sendable {
    static let partitions = 4

    let topics = Topics()
    let broker: EmbeddedBroker
    let workers: WorkerProcesses
    /// For the coordinator and the test's own clients of the broker.
    let config: KafkaConfig
    let directory: String
    /// Each worker's status port (`/metrics`, `/readyz`), by worker index.
    let statusPorts: [Int]

    /// - Parameter beforeWorkersStart: faults to set up before any worker connects (e.g.
    ///   errors for the first JoinGroup requests, a slow broker).
    /// - Parameter models: what the workers serve (default: SmolLM2 as `smol`).
    init(workerCount: Int, brokerCount: Int = 1, directory: String,
         models: [(name: String, path: String)] = [("smol", TestPaths.smolLM2)],
         beforeWorkersStart: (EmbeddedBroker) throws -> Void = { _ in }) async throws {
        self.directory = directory
        broker = try EmbeddedBroker(brokerCount: brokerCount)
        try broker.createTopics(topics.fleetTopics, partitions: Self.partitions, replicationFactor: brokerCount)
        config = KafkaTestSupport.config(broker)
        try beforeWorkersStart(broker)
        var extra = ["--metrics-port", "0", "--topic-prefix", topics.prefix]
        for (key, value) in EmbeddedFleet.workerProperties.sorted(by: { $0.key < $1.key }) { extra += ["-X", "\(key)=\(value)"] }
        workers = try WorkerProcesses(
            count: workerCount, executable: WorkerProcesses.defaultExecutable(), brokers: broker.bootstrapServers,
            models: models, threads: 1, extraArguments: extra, logDirectory: directory + "/logs")
        let workers = self.workers
        var ports: [Int] = []
        for path in workers.logPaths {
            ports.append(try await WorkerStatusTests.statusPort(logPath: path) {
                workers.runningCount > 0 ? nil : "every worker exited"
            })
        }
        statusPorts = ports
    }

    deinit {
        workers.stop(grace: .seconds(10))
    }

    /// Why waiting for the fleet is hopeless (every worker exited), else nil.
    func allWorkersExited() -> String? {
        workers.runningCount > 0 ? nil : "every worker exited; the end of worker 0's log:\n" + workers.logTail(0, lines: 8)
    }

    /// Worker `index`'s `/metrics` text.
    func metrics(_ index: Int) throws -> String {
        try HTTPTestClient.request(port: statusPorts[index], path: "/metrics").body
    }

    /// Jobs worker `index` has taken and not yet answered.
    func jobsInFlight(_ index: Int) throws -> Int {
        let line = try metrics(index).split(separator: "\n").first { $0.hasPrefix("realign_jobs_in_flight ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) }.map { Int($0) } ?? 0
    }

    /// Waits until worker `index` is in the middle of a job (blocking: for fault threads).
    func waitUntilBusy(_ index: Int, within limit: Duration) throws {
        let deadline = ContinuousClock.now + limit
        while try jobsInFlight(index) == 0 {
            guard ContinuousClock.now < deadline, allWorkersExited() == nil else {
                throw TimeLimitExceeded(what: "waiting for worker \(index) to take a job", limit: limit,
                                        progress: allWorkersExited() ?? "it took none")
            }
            usleep(20_000)
        }
    }

    /// Waits until every worker answers `/readyz` (models loaded, group joined).
    func waitUntilReady(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        for (index, port) in statusPorts.enumerated() {
            while try HTTPTestClient.request(port: port, path: "/readyz").status != 200 {
                guard ContinuousClock.now < deadline, allWorkersExited() == nil else {
                    throw TimeLimitExceeded(what: "waiting for worker \(index) to be ready", limit: limit,
                                            progress: allWorkersExited() ?? "not ready")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The fleet as the coordinator sees it; unhealthy when every worker has exited.
    var teacherFleet: TeacherRun.Fleet {
        let workers = self.workers
        return TeacherRun.Fleet(kafka: config, topicCreator: broker, replyPartitions: Self.partitions,
                                replicationFactor: broker.brokerCount) {
            workers.runningCount > 0 ? nil : "every worker exited"
        }
    }

    /// The eight alpaca records of the end-to-end tests in `directory`/data.json, one
    /// record a job (eight jobs), with the end-to-end tests' models and settings.
    func teacherOptions(out: String, runID: String, jobTimeout: Duration, resume: Bool = false) throws -> TeacherRun.Options {
        let data = directory + "/data.json"
        if !FileManager.default.fileExists(atPath: data) {
            try TeacherEndToEndTests.writeDataset(TeacherEndToEndTests.records.map(TeacherEndToEndTests.alpaca), to: data)
        }
        return TeacherRun.Options(
            dataPath: data, limit: nil, ref: "smol", aligned: "smol", alignedSystem: "Answer in one short sentence.",
            lambdas: [0.5, 2], topK: TeacherEndToEndTests.topK, outputDirectory: out, jobTokens: 1, runID: runID,
            resume: resume, topics: topics, jobTimeout: jobTimeout, showProgress: false)
    }

    /// Runs a teacher run in this process while `fault` breaks the fleet, and measures it.
    /// - Parameters:
    ///   - fault: run on a thread of its own and given the run's progress; returns when
    ///     the fault is over, with its window (nil for none).
    ///   - limit: the run is stopped and the test fails past this.
    func runTeacher(_ label: String, jobTimeout: Duration = .seconds(20), limit: Duration = .seconds(180),
                    fault: @escaping @Sendable (TeacherProgress) throws -> FaultWindow? = { _ in nil }) async throws -> FaultRun {
        let out = directory + "/" + label
        let runID = "faults-\(label)-\(getpid())"
        let stop = StopSignal(signals: [])
        let run = TeacherRun(options: try teacherOptions(out: out, runID: runID, jobTimeout: jobTimeout), stop: stop)
        let prepared = try run.prepare()
        let started = Date()
        let fleet = teacherFleet
        let ended = DoneFlag()
        let running = Task {
            defer { ended.set() }
            return try await run.run(prepared, on: fleet)
        }
        let watchdog = Task {
            try await Task.sleep(for: limit)
            stop.request(reason: "the test's limit of \(limit)")
        }
        defer { watchdog.cancel() }
        let workers = self.workers
        let progress = TeacherProgress(out: out, isDone: { ended.isSet }) {
            workers.runningCount > 0 ? nil : "every worker exited"
        }
        let window: FaultWindow?
        do {
            window = try await onThread { try fault(progress) }
        } catch {
            stop.request(reason: "the fault failed: \(error)")
            _ = try? await running.value
            throw error
        }
        let summary = try await running.value
        let seconds = Date().timeIntervalSince(started)
        let replies = try ReplyTally(config: config, topic: topics.replies(runID), jobs: 8)
        return FaultRun(label: label, output: try TeacherEndToEndTests.finishedRun(out), summary: summary, started: started, seconds: seconds,
                        arrivals: TeacherProgress.arrivals(out: out), window: window, replies: replies)
    }
}

/// Runs blocking `body` on a new thread, off the cooperative pool, and returns its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Set once, read from any task: whether the run under test has ended.
final class DoneFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// When a fault was in force, in wall-clock time (the clock of the parts' mtimes).
struct FaultWindow: Sendable {
    var start: Date
    var end: Date

    /// A fault that happens at one instant (a kill).
    static func instant(_ at: Date = Date()) -> FaultWindow { FaultWindow(start: at, end: at) }
}

/// A running teacher run as seen from its output directory: the coordinator saves a
/// part file (`parts/seq-A-B.safetensors`) the moment a reply arrives.
struct TeacherProgress: Sendable {
    let out: String
    let isDone: @Sendable () -> Bool
    let hopeless: @Sendable () -> String?

    var partCount: Int { Self.arrivals(out: out).count }

    /// Waits until at least `count` parts are saved (blocking: for fault threads).
    func waitForParts(_ count: Int, within limit: Duration) throws {
        let deadline = ContinuousClock.now + limit
        while partCount < count {
            guard ContinuousClock.now < deadline, hopeless() == nil, !isDone() else {
                throw TimeLimitExceeded(what: "waiting for \(count) part(s) of \(out)", limit: limit,
                                        progress: "\(partCount) saved" + (hopeless().map { "; \($0)" } ?? ""))
            }
            usleep(20_000)
        }
    }

    /// Every saved part and when it was written, in order of arrival.
    static func arrivals(out: String) -> [(sequences: Range<Int>, at: Date)] {
        let parts = out + "/parts"
        let directory = TeacherRunDirectory(path: out)
        return directory.existingParts().targets.compactMap { range -> (Range<Int>, Date)? in
            let name = String(format: "seq-%08d-%08d.safetensors", range.lowerBound, range.upperBound)
            var info = stat()
            guard stat(parts + "/" + name, &info) == 0 else { return nil }
            return (range, Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9))
        }.sorted { $0.1 < $1.1 }
    }
}

/// The replies on a run's reply topic: how many, and for how many distinct jobs. More
/// replies than jobs are redeliveries (at-least-once), which the coordinator drops.
struct ReplyTally: Sendable {
    var messages: Int
    var jobs: Int

    var redelivered: Int { messages - jobs }

    /// Reads the topic until `jobs` distinct job ids arrived and then one more second,
    /// for late duplicates.
    init(config: KafkaConfig, topic: String, jobs expected: Int) throws {
        let reader = try TopicReader(config: config, topic: topic, partitions: FaultFleet.partitions)
        var settled: ContinuousClock.Instant?
        try reader.read(within: .seconds(30)) { messages in
            let ids = Set(messages.compactMap { $0.header(ReplyHeaders.jobID).map { String(decoding: $0, as: UTF8.self) } })
            guard ids.count >= expected else { return false }
            if settled == nil { settled = .now + .seconds(1) }
            return ContinuousClock.now >= settled!
        }
        messages = reader.messages.count
        jobs = Set(reader.messages.compactMap { $0.header(ReplyHeaders.jobID).map { String(decoding: $0, as: UTF8.self) } }).count
    }
}

/// A teacher run under a fault, with the figures the fault matrix reports.
struct FaultRun {
    var label: String
    var output: TeacherEndToEndTests.FinishedRun
    var summary: TeacherRunSummary
    var started: Date
    var seconds: Double
    var arrivals: [(sequences: Range<Int>, at: Date)]
    var window: FaultWindow?
    var replies: ReplyTally

    /// From the start of the run to its first saved part (group join and first job).
    var firstPartSeconds: Double { arrivals.first.map { $0.at.timeIntervalSince(started) } ?? seconds }

    /// Parts saved before the fault began.
    var partsBeforeFault: Int {
        guard let window else { return 0 }
        return arrivals.filter { $0.at < window.start }.count
    }

    /// From the end of the fault to the first part saved after it.
    var recoverySeconds: Double? {
        guard let window, let next = arrivals.first(where: { $0.at >= window.end }) else { return nil }
        return next.at.timeIntervalSince(window.end)
    }

    /// The longest time without a new part from the start of the fault on.
    var longestStallSeconds: Double {
        guard let window else { return 0 }
        var previous = window.start
        var longest = 0.0
        for arrival in arrivals where arrival.at >= window.start {
            longest = max(longest, arrival.at.timeIntervalSince(previous))
            previous = arrival.at
        }
        return longest
    }

    /// Checks the run against a clean run (see `expectSameOutput(_:output:parts:as:)`).
    func expectSameOutput(as clean: FaultRun, sourceLocation: SourceLocation = #_sourceLocation) {
        Self.expectSameOutput(label, output: output, parts: arrivals.map(\.sequences), as: clean, sourceLocation: sourceLocation)
        #expect(replies.jobs == 8, "\(label): replies for \(replies.jobs) jobs", sourceLocation: sourceLocation)
        #expect(summary.sequences == 8 && summary.failed == 0, "\(label): \(summary.text)", sourceLocation: sourceLocation)
    }

    /// The same shard bytes and manifest as the clean run (but run id and timings), every
    /// record written, and one saved part per record: nothing lost, nothing twice.
    static func expectSameOutput(_ label: String, output: TeacherEndToEndTests.FinishedRun, parts: [Range<Int>],
                                 as clean: FaultRun, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.manifest.complete, "\(label): manifest not complete", sourceLocation: sourceLocation)
        #expect(output.manifest.failures.isEmpty, "\(label): failures \(output.manifest.failures)", sourceLocation: sourceLocation)
        #expect(output.manifest.counts.sequences == 8 && output.manifest.counts.writtenSequences == 8,
                "\(label): counts \(output.manifest.counts)", sourceLocation: sourceLocation)
        #expect(output.shardBytes.keys.sorted() == clean.output.shardBytes.keys.sorted(), "\(label)", sourceLocation: sourceLocation)
        for (name, bytes) in clean.output.shardBytes {
            #expect(output.shardBytes[name] == bytes, "\(label): \(name) differs from the clean run's", sourceLocation: sourceLocation)
        }
        for (key, value) in clean.output.manifestJSON where key != "run_id" && key != "timings" {
            #expect(output.manifestJSON[key] == value, "\(label): manifest '\(key)' differs", sourceLocation: sourceLocation)
        }
        let sorted = parts.sorted { $0.lowerBound < $1.lowerBound }
        #expect(sorted == (0..<8).map { $0..<($0 + 1) }, "\(label): parts \(sorted)", sourceLocation: sourceLocation)
    }

    /// The figures line, `[faults] ...`.
    func report(clean: FaultRun?) {
        var line = String(format: "[faults] %@: run %.1f s, first part after %.1f s", label, seconds, firstPartSeconds)
        if let clean { line += String(format: " (clean %.1f s, +%.1f s)", clean.seconds, seconds - clean.seconds) }
        line += ", \(replies.messages) replies for \(replies.jobs) jobs (\(replies.redelivered) redelivered), lost 0, duplicated 0"
        if window != nil {
            line += ", \(partsBeforeFault) of 8 parts before the fault"
            line += recoverySeconds.map { String(format: ", first part %.1f s after the fault", $0) } ?? ", no part after the fault"
            line += String(format: ", longest stall %.1f s", longestStallSeconds)
        }
        print(line)
    }
}
