import Foundation

/// A teacher run on an embedded fleet (the broker in this process, `realign-worker`
/// processes), timed after a warm-up run, so that model loading and the consumer group
/// forming are not part of the figure. The workers' own logs say how much of each job
/// was forward pass; `/proc` says how much memory each worker took at its peak.
public enum FleetBenchmark {
    public struct Settings: Sendable {
        public var workers: Int
        public var threadsPerWorker: Int
        public var model: (name: String, path: String)
        /// An adapter-only file: the workers serve the model as InRa (base + adapter).
        public var adapter: String?
        public var dataPath: String
        public var limit: Int?
        public var alignedSystem: String?
        public var lambdas: [Double]
        public var topK: Int
        /// How the workers hold the weights (`REALIGN_WEIGHTS` in their environment, set
        /// whatever this process has).
        public var weights: WeightPrecision
        /// Scratch space: the runs' output directories and the worker logs.
        public var directory: String

        public init(workers: Int, threadsPerWorker: Int, model: (name: String, path: String), adapter: String? = nil,
                    dataPath: String, limit: Int?, alignedSystem: String?, lambdas: [Double], topK: Int, weights: WeightPrecision = .exact, directory: String) {
            self.workers = workers
            self.threadsPerWorker = threadsPerWorker
            self.model = model
            self.adapter = adapter
            self.dataPath = dataPath
            self.limit = limit
            self.alignedSystem = alignedSystem
            self.lambdas = lambdas
            self.topK = topK
            self.weights = weights
            self.directory = directory
        }
    }

    public struct Measurement: Sendable {
        public var workers: Int
        public var threadsPerWorker: Int
        public var sequences: Int
        public var tokens: Int
        /// The timed run's wall time, as the coordinator measured it (reading the data to
        /// writing the manifest).
        public var seconds: Double
        /// Each worker's finished jobs of the timed run.
        public var jobLogs: [WorkerJobLog]
        /// Each worker's peak resident set size (VmHWM) at the end, in bytes.
        public var peakResidentBytes: [Int]
        /// Each worker's resident set once serving, before any job: the models loaded.
        public var idleResident: [ProcessMemory.Resident]
        /// Each worker's resident set after the timed run: the model file's pages that the
        /// jobs read are in it, the jobs' scratch memory is not.
        public var finalResident: [ProcessMemory.Resident]
        /// Of `finalResident`, the bytes of the model file.
        public var modelFileResident: [Int]

        public var tokensPerSecond: Double { Double(tokens) / seconds }
        public var jobs: Int { jobLogs.reduce(0) { $0 + $1.jobs.count } }
        public var forwardSeconds: Double { jobLogs.reduce(0) { $0 + $1.forwardSeconds } }
        public var fusionSeconds: Double { jobLogs.reduce(0) { $0 + $1.fusionSeconds } }
        public var jobSeconds: Double { jobLogs.reduce(0) { $0 + $1.seconds } }
        /// The worker time of the run (every worker, the whole run), less the forward passes.
        public var secondsOutsideForward: Double { Double(workers) * seconds - forwardSeconds }
    }

    public static func run(_ settings: Settings) async throws -> Measurement {
        let topics = Topics()
        // The fleet appends to its workers' logs; an earlier bench's lines would pass
        // for this fleet's readiness (and idle memory be read before the model loads).
        try? FileManager.default.removeItem(atPath: settings.directory + "/logs")
        let fleet = try EmbeddedFleet(
            workerCount: settings.workers, models: [settings.model], topics: topics,
            threadsPerWorker: settings.threadsPerWorker, logDirectory: settings.directory + "/logs",
            workerArguments: settings.adapter.map { ["--adapter", "\(settings.model.name)=\($0)"] } ?? [],
            workerEnvironment: [WeightPrecision.environmentVariable: settings.weights.rawValue])
        defer { fleet.shutdown() }
        try await waitUntilServing(fleet)
        let idle = try fleet.workers.pids.map { pid throws(BenchmarkError) in try ProcessMemory.resident(pid: pid) }

        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        func options(_ label: String, limit: Int?) -> TeacherRun.Options {
            TeacherRun.Options(
                dataPath: settings.dataPath, limit: limit, ref: settings.model.name, aligned: settings.model.name,
                alignedSystem: settings.alignedSystem, lambdas: settings.lambdas, topK: settings.topK,
                outputDirectory: settings.directory + "/" + label, runID: "bench-\(label)-\(suffix)",
                overwrite: true, topics: topics, showProgress: false)
        }
        // Enough jobs for every worker, so each has served one before the timed run.
        let warmUp = TeacherRun(options: options("warmup", limit: 2 * settings.workers), stop: StopSignal())
        _ = try await warmUp.run(try warmUp.prepare(), on: fleet.teacherFleet)

        let timedOptions = options("run", limit: settings.limit)
        let timed = TeacherRun(options: timedOptions, stop: StopSignal())
        let summary = try await timed.run(try timed.prepare(), on: fleet.teacherFleet)
        guard summary.failed == 0 else {
            throw BenchmarkError("\(summary.failed) of \(summary.sequences) sequences failed in the timed run (see \(timedOptions.outputDirectory)/manifest.json)")
        }
        let peaks = try fleet.workers.pids.map { pid throws(BenchmarkError) in try ProcessMemory.peakResidentBytes(pid: pid) }
        let final = try fleet.workers.pids.map { pid throws(BenchmarkError) in try ProcessMemory.resident(pid: pid) }
        let modelFile = try fleet.workers.pids.map { pid throws(BenchmarkError) in
            try ProcessMemory.mappedResidentBytes(pid: pid, path: settings.model.path)
        }
        let logs = try fleet.workers.logPaths.map { path throws(BenchmarkError) in
            try WorkerJobLog(path: path, runID: timedOptions.runID!)
        }
        return Measurement(workers: settings.workers, threadsPerWorker: settings.threadsPerWorker,
                           sequences: summary.sequences, tokens: summary.tokensThisRun, seconds: summary.seconds,
                           jobLogs: logs, peakResidentBytes: peaks, idleResident: idle, finalResident: final,
                           modelFileResident: modelFile)
    }

    /// Waits (at most two minutes) until every worker has loaded its models and
    /// subscribed (its log says `worker serving`).
    private static func waitUntilServing(_ fleet: EmbeddedFleet) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            if let problem = fleet.health() { throw BenchmarkError(problem) }
            let serving = fleet.workers.logPaths.allSatisfy { path in
                (try? String(contentsOfFile: path, encoding: .utf8))?.contains("\"worker serving\"") ?? false
            }
            if serving { return }
            guard ContinuousClock.now < deadline else {
                throw BenchmarkError("the workers were not serving after two minutes; see \(fleet.workers.logPaths.joined(separator: ", "))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
