import Foundation

/// `realign-worker` processes started by a coordinator for an embedded fleet. Each one
/// watches its parent and exits when the coordinator dies; `stop` asks them to leave
/// their group (SIGTERM) and kills what is left after a grace period.
public final class WorkerProcesses: @unchecked Sendable {
    // `processes` is written once in init; Process is safe to query from any thread.
    private let processes: [Process]
    public let logPaths: [String]
    /// Where this attempt's lines start in each log (an earlier attempt's come before).
    private let logStarts: [UInt64]

    /// The worker binary beside the running executable (`REALIGN_WORKER` overrides).
    public static func defaultExecutable() -> String {
        if let path = ProcessInfo.processInfo.environment["REALIGN_WORKER"] { return path }
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("realign-worker").path
    }

    /// `environment`: variables set for the workers on top of this process's own (which
    /// they inherit), e.g. `REALIGN_WEIGHTS`.
    public init(count: Int, executable: String, brokers: String, models: [(name: String, path: String)],
                threads: Int, extraArguments: [String], environment: [String: String] = [:], logDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw WorkerProcessError(problem: "the worker executable \(executable) is missing (build with `swift build -c release`, or set REALIGN_WORKER)")
        }
        var processes: [Process] = []
        var logPaths: [String] = []
        var logStarts: [UInt64] = []
        for index in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            var arguments = ["--brokers", brokers, "--threads", String(threads), "--parent-pid", String(getpid())]
            for model in models { arguments += ["--model", "\(model.name)=\(model.path)"] }
            process.arguments = arguments + extraArguments
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            let logPath = "\(logDirectory)/worker-\(index).log"
            // Appended to, so a resumed run keeps the log of the attempt it resumes.
            if !FileManager.default.fileExists(atPath: logPath),
               !FileManager.default.createFile(atPath: logPath, contents: nil) {
                throw WorkerProcessError(problem: "cannot create the worker log \(logPath)")
            }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            logStarts.append(try log.seekToEnd())
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            logPaths.append(logPath)
        }
        self.processes = processes
        self.logPaths = logPaths
        self.logStarts = logStarts
    }

    public var runningCount: Int { processes.filter(\.isRunning).count }

    public var pids: [Int32] { processes.map(\.processIdentifier) }

    /// SIGTERM to every worker, then SIGKILL to any still running after `grace`.
    public func stop(grace: Duration = .seconds(15)) {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + grace
        while runningCount > 0 && ContinuousClock.now < deadline { usleep(50_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }

    /// The last lines this attempt's worker wrote to its log, for an error message (never
    /// an earlier attempt's: a failed run's error must not pass for the next one's).
    public func logTail(_ index: Int, lines: Int = 5) -> String {
        guard let log = FileHandle(forReadingAtPath: logPaths[index]) else { return "" }
        defer { try? log.close() }
        guard (try? log.seek(toOffset: logStarts[index])) != nil, let data = try? log.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

public struct WorkerProcessError: Error, CustomStringConvertible {
    public var problem: String
    public var description: String { problem }
}
