import Foundation
import Testing

/// The `realign` binary run as a subprocess, as a user runs it: found beside the test
/// executable (`swift build` puts both in `.build/<configuration>`), or at `REALIGN_BIN`.
/// Output goes to files (no pipe to fill up), and every wait has a deadline.
struct RealignProcess {
    /// What a finished invocation left behind.
    struct Outcome {
        var arguments: [String]
        var exitCode: Int32
        var stdout: String
        var stderr: String
        var seconds: Double

        /// `time: 11.0 s, 24 tokens/s` from the summary a finished teacher run prints.
        var summaryTiming: (seconds: Double, tokensPerSecond: Double)? {
            guard let line = stdout.split(separator: "\n").first(where: { $0.contains("tokens/s") }) else { return nil }
            let numbers = line.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
            guard numbers.count == 2 else { return nil }
            return (numbers[0], numbers[1])
        }

        /// The invocation and its output, for a failed expectation's message.
        var transcript: String {
            "realign \(arguments.joined(separator: " ")) -> exit \(exitCode)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var arguments: [String]
        var seconds: Double
        var description: String { "realign \(arguments.joined(separator: " ")) did not finish within \(seconds) s; killed" }
    }

    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["REALIGN_BIN"] { return path }
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("realign").path
    }

    let process: Process
    let arguments: [String]
    private let stdoutPath: String
    private let stderrPath: String
    private let started: ContinuousClock.Instant

    /// Starts `realign arguments...` with `environment` over this process's, less the
    /// variables `unsetting`; its output goes to `outputPrefix.stdout` and `.stderr`.
    init(_ arguments: [String], outputPrefix: String, environment: [String: String] = [:], unsetting: [String] = []) throws {
        let executable = Self.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable),
                     "no realign binary at \(executable): run `swift build -c release` first, or set REALIGN_BIN")
        self.arguments = arguments
        stdoutPath = outputPrefix + ".stdout"
        stderrPath = outputPrefix + ".stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty || !unsetting.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                .filter { !unsetting.contains($0.key) }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        started = .now
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the exit; past `timeout` the process is killed and `TimedOut` thrown.
    func wait(timeout: Duration) async throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                process.waitUntilExit()
                throw TimedOut(arguments: arguments, seconds: Double(timeout.components.seconds))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - started
        return Outcome(arguments: arguments, exitCode: process.terminationStatus,
                       stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "",
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// Runs `realign arguments...` to its end.
    static func run(_ arguments: [String], outputPrefix: String, environment: [String: String] = [:], unsetting: [String] = [],
                    timeout: Duration = .seconds(180)) async throws -> Outcome {
        try await RealignProcess(arguments, outputPrefix: outputPrefix, environment: environment, unsetting: unsetting)
            .wait(timeout: timeout)
    }
}

/// Processes seen through /proc: the coordinator's workers are its children, and once it
/// dies they are no one's to wait for, so "gone" includes a zombie left unreaped.
enum ProcessTable {
    /// The pids whose parent is `parent`.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { stat($0)?.parent == parent }.sorted()
    }

    /// Running: present in /proc and neither a zombie nor dead.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let state = stat(pid)?.state else { return false }
        return state != "Z" && state != "X"
    }

    /// State and parent pid from /proc/PID/stat (fields 3 and 4, after the `(comm)`).
    private static func stat(_ pid: Int32) -> (state: Character, parent: Int32)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 2, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (state, parent)
    }
}
