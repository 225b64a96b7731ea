import Foundation

/// The Kafka options every command that talks to a cluster takes (`-X`, `-F`, as kcat
/// does), and the configuration they give: the coordinator's commands and the worker
/// read them the same way.
public enum KafkaCommandLine {
    public static let options: [CommandSpec.Option] = [
        .init("property", short: "X", value: "KEY=VALUE", help: "A librdkafka property, passed through as kcat does (over -F and the environment).", repeatable: true),
        .init("config-file", short: "F", value: "FILE", help: "librdkafka properties, one key=value a line, # comments (as kcat -F); over REALIGN_KAFKA_* variables.", repeatable: true),
    ]

    /// `REALIGN_KAFKA_*` variables, `-F` files, `-X` options (each over the one before),
    /// and `brokers` when given. A property librdkafka refuses is the user's mistake,
    /// found before anything starts.
    public static func config(brokers: String?, _ arguments: ParsedArguments) throws(UsageError) -> KafkaConfig {
        do {
            let config = try KafkaConfig(bootstrapServers: brokers, passThrough: arguments.strings("property"),
                                         files: arguments.strings("config-file"), environment: ProcessInfo.processInfo.environment)
            try config.validate()
            return config
        } catch {
            throw UsageError(command: arguments.command, message: "\(error)")
        }
    }

    /// The `-F` and `-X` as given, for an embedded fleet's workers.
    public static func optionArguments(_ arguments: ParsedArguments) -> KafkaOptionArguments {
        KafkaOptionArguments(files: arguments.strings("config-file"), properties: arguments.strings("property"))
    }
}
