import Core
import Foundation

/// The shared shape of a command: parse, print help, turn errors into exit codes.
enum CommandRunner {
    static func run(_ spec: CommandSpec, _ arguments: [String], body: (ParsedArguments) async throws -> ExitCode) async -> ExitCode {
        do {
            let parsed = try spec.parse(arguments, environment: ProcessInfo.processInfo.environment)
            if parsed.has("help") {
                print(spec.helpText, terminator: "")
                return .success
            }
            if let stray = parsed.positionals.first {
                throw UsageError(command: spec.name, message: "unexpected argument \(stray)")
            }
            return try await body(parsed)
        } catch let error as UsageError {
            printError("realign \(error)")
            return .usage
        } catch {
            printError("realign \(spec.name): \(error)")
            return .failure
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
