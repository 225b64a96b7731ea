import Foundation

/// The teacher jobs a worker's log says it finished: its `job done` lines (JSON, one a
/// line), with the job's whole time and the part spent in the forward passes and fusion.
public struct WorkerJobLog: Sendable, Equatable {
    public struct Job: Sendable, Equatable {
        public var id: String
        public var tokens: Int
        /// From taking the job to its reply being acknowledged.
        public var seconds: Double
        public var forwardSeconds: Double
        public var fusionSeconds: Double
    }

    public var jobs: [Job]

    /// The `job done` lines of `path` whose job id belongs to run `runID`
    /// (`<runID>/<index>`).
    public init(path: String, runID: String) throws(BenchmarkError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BenchmarkError("cannot read the worker log \(path)")
        }
        var jobs: [Job] = []
        for (number, line) in text.split(separator: "\n").enumerated() where line.contains("\"job done\"") {
            func fail(_ problem: String) -> BenchmarkError { BenchmarkError("\(path) line \(number + 1): \(problem)") }
            let entry: JSONValue
            do {
                entry = try JSONParser.parse(String(line))
            } catch {
                throw fail("\(error)")
            }
            guard entry["msg"]?.stringValue == "job done", let id = entry["job"]?.stringValue else { continue }
            guard id.hasPrefix(runID + "/") else { continue }
            guard let tokens = entry["tokens"]?.integerValue, let seconds = entry["seconds"]?.doubleValue,
                  let forward = entry["forward_seconds"]?.doubleValue, let fusion = entry["fusion_seconds"]?.doubleValue else {
                throw fail("a job done line without tokens, seconds, forward_seconds and fusion_seconds (an older worker?)")
            }
            jobs.append(Job(id: id, tokens: Int(tokens), seconds: seconds, forwardSeconds: forward, fusionSeconds: fusion))
        }
        self.jobs = jobs
    }

    public var tokens: Int { jobs.reduce(0) { $0 + $1.tokens } }
    public var seconds: Double { jobs.reduce(0) { $0 + $1.seconds } }
    public var forwardSeconds: Double { jobs.reduce(0) { $0 + $1.forwardSeconds } }
    public var fusionSeconds: Double { jobs.reduce(0) { $0 + $1.fusionSeconds } }
}
