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

    /// The Kafka configuration of a command: `REALIGN_KAFKA_*` variables, `-F` files,
    /// `-X key=value` options (each over the one before), and `brokers` when given.
    static func kafkaConfig(brokers: String?, _ arguments: ParsedArguments) throws(UsageError) -> KafkaConfig {
        do {
            let config = try KafkaConfig(bootstrapServers: brokers, passThrough: arguments.strings("property"),
                                         files: arguments.strings("config-file"), environment: ProcessInfo.processInfo.environment)
            // A property librdkafka refuses is the user's mistake, found before anything starts.
            try config.validate()
            return config
        } catch {
            throw UsageError(command: arguments.command, message: "\(error)")
        }
    }

    /// The command's `-F` and `-X` as given, for the embedded fleet it starts.
    static func kafkaOptionArguments(_ arguments: ParsedArguments) -> KafkaOptionArguments {
        KafkaOptionArguments(files: arguments.strings("config-file"), properties: arguments.strings("property"))
    }

    /// `-X` and `-F`, the Kafka options of every command that talks to a cluster.
    static let kafkaOptions: [CommandSpec.Option] = [
        .init("property", short: "X", value: "KEY=VALUE", help: "A librdkafka property, passed through as kcat does (over -F and the environment).", repeatable: true),
        .init("config-file", short: "F", value: "FILE", help: "librdkafka properties, one key=value a line, # comments (as kcat -F); over REALIGN_KAFKA_* variables.", repeatable: true),
    ]
}
