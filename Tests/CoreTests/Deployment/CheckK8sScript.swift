import Foundation
import Testing

/// `scripts/check-k8s.sh` run as `make test` runs it: from the repository root found
/// above this source file, its output to files (no pipe to fill up), with a deadline.
enum CheckK8sScript {
    struct Outcome {
        var arguments: [String]
        var exitCode: Int32
        /// The verdicts (or, with `--render`, the manifests).
        var output: String
        /// Notices of tool installs, and errors.
        var errors: String

        var lines: [Substring] { output.split(separator: "\n") }

        /// The invocation and its output, for a failed expectation's message.
        var transcript: String {
            "scripts/check-k8s.sh \(arguments.joined(separator: " ")) -> exit \(exitCode)\n--- stdout\n\(output)\n--- stderr\n\(errors)"
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var arguments: [String]
        var description: String { "scripts/check-k8s.sh \(arguments.joined(separator: " ")) did not finish in time; killed" }
    }

    /// The repository root: the nearest directory above this file holding the script.
    static var repositoryRoot: URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("scripts/check-k8s.sh").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// Runs the script to its end. The first run on a machine installs the tools
    /// (about half a minute here), hence the generous deadline.
    static func run(_ arguments: [String] = [], timeout: Duration = .seconds(600)) async throws -> Outcome {
        let root = repositoryRoot
        let script = root.appendingPathComponent("scripts/check-k8s.sh").path
        try #require(FileManager.default.isExecutableFile(atPath: script), "no executable \(script)")
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("check-k8s-\(UUID().uuidString)").path
        let outputPath = prefix + ".stdout", errorsPath = prefix + ".stderr"
        for path in [outputPath, errorsPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        defer { for path in [outputPath, errorsPath] { try? FileManager.default.removeItem(atPath: path) } }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        defer { try? output.close(); try? errors.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        process.currentDirectoryURL = root
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw TimedOut(arguments: arguments)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.waitUntilExit()
        return Outcome(arguments: arguments, exitCode: process.terminationStatus,
                       output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
                       errors: (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "")
    }
}
