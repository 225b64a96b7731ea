import Foundation
import Testing
@testable import Core

/// Worker logs are appended to (a resumed run keeps the attempt it resumes), but the log
/// tail a failed run reports is its own attempt's: an earlier failure must not pass for
/// the new one.
@Suite(.serialized)
struct WorkerProcessesTests {
    static func failedWorkerTail(modelPath: String, logDirectory: String) async throws -> String {
        let workers = try WorkerProcesses(
            count: 1, executable: WorkerProcesses.defaultExecutable(), brokers: "127.0.0.1:1",
            models: [("smol", modelPath)], threads: 1, extraArguments: [], logDirectory: logDirectory)
        let deadline = ContinuousClock.now + .seconds(60)
        while workers.runningCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(workers.runningCount == 0, "the worker did not exit on a missing model file")
        return workers.logTail(0)
    }

    @Test func aLogTailIsThisAttemptsOwn() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("worker-log-tail")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await Self.failedWorkerTail(modelPath: "\(directory)/first-missing.gguf", logDirectory: "\(directory)/logs")
        #expect(first.contains("first-missing.gguf"), "\(first)")
        let second = try await Self.failedWorkerTail(modelPath: "\(directory)/second-missing.gguf", logDirectory: "\(directory)/logs")
        #expect(second.contains("second-missing.gguf"), "\(second)")
        #expect(!second.contains("first-missing.gguf"), "\(second)")
        let whole = try String(contentsOfFile: "\(directory)/logs/worker-0.log", encoding: .utf8)
        #expect(whole.contains("first-missing.gguf") && whole.contains("second-missing.gguf"), "the log keeps both attempts")
    }
}
