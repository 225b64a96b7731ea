import Core
import Foundation

/// What `generate` and `serve` share: the fleet options, and a `GenerationClient` on
/// either a cluster (`--brokers`) or an embedded fleet started for the command.
struct GenerationFleet {
    static let options: [CommandSpec.Option] = [
        .init("adapter", value: "NAME=FILE", help: "Serve model NAME with this InRa adapter file (embedded workers).", repeatable: true),
        .init("brokers", short: "b", value: "LIST", help: "Kafka bootstrap servers; without it an embedded broker and workers are started.", environment: "REALIGN_BROKERS"),
        .init("workers", short: "w", value: "N", help: "Worker processes of the embedded fleet (default 1)."),
        .init("threads", short: "t", value: "N", help: "Compute threads per embedded worker (default: cores / workers)."),
        .init("request-timeout", value: "SECONDS", help: "Submit a request again after this long without any reply (default 600; 3 submissions at most). A request a dying worker leaves is redelivered by the group anyway; this covers a fleet that lost it."),
        .init("topic-prefix", value: "PREFIX", help: "Prefix of the fleet's topics (default: realign)."),
    ] + KafkaCommandLine.options

    /// The fleet settings of a command line, all checked before anything starts.
    struct Settings {
        var brokers: String?
        var kafka: KafkaConfig
        var kafkaOptions: KafkaOptionArguments
        var topics: Topics
        var models: [(name: String, path: String)]
        var adapters: [(name: String, path: String)]
        var workers: Int
        var threads: Int?
        var resubmitAfter: Duration

        init(_ arguments: ParsedArguments, models: [ModelArgument]) throws(UsageError) {
            let command = arguments.command
            kafka = try KafkaCommandLine.config(brokers: arguments.string("brokers"), arguments)
            // A cluster named only in REALIGN_KAFKA_BOOTSTRAP_SERVERS counts as --brokers.
            brokers = kafka.bootstrapServers
            kafkaOptions = KafkaCommandLine.optionArguments(arguments)
            topics = Topics(prefix: arguments.string("topic-prefix") ?? Topics.defaultPrefix)
            workers = try arguments.int("workers", in: 1...64) ?? 1
            threads = try arguments.int("threads", in: 1...1024)
            let seconds = try arguments.double("request-timeout") ?? 600
            guard seconds > 0 else { throw UsageError(command: command, message: "--request-timeout must be positive") }
            resubmitAfter = .milliseconds(Int64(seconds * 1000))
            self.models = brokers == nil ? try FleetModels.local(models, command: command) : []
            adapters = []
            for text in arguments.strings("adapter") {
                let adapter = try ModelArgument.parse(text, command: command)
                guard brokers == nil else {
                    throw UsageError(command: command, message: "--adapter loads into embedded workers; with --brokers the workers are started with it")
                }
                guard models.contains(where: { $0.name == adapter.name }) else {
                    throw UsageError(command: command, message: "--adapter \(text): no model is named \(adapter.name)")
                }
                guard FileManager.default.fileExists(atPath: adapter.path) else {
                    throw UsageError(command: command, message: "--adapter \(text): no file at \(adapter.path)")
                }
                adapters.append(adapter)
            }
        }
    }

    let client: GenerationClient
    let embedded: EmbeddedFleet?
    /// Where the embedded workers log.
    let logDirectory: String?

    /// Starts the embedded fleet (unless `--brokers`) and the client; `clientPrefix`
    /// begins the client id (`gen`, `gw`).
    init(_ settings: Settings, clientPrefix: String) throws {
        let options = GenerationClient.Options(
            topics: settings.topics, clientID: GenerationClient.newClientID(prefix: clientPrefix),
            replyPartitions: 4, replicationFactor: settings.brokers == nil ? 1 : -1, resubmitAfter: settings.resubmitAfter)
        if settings.brokers != nil {
            embedded = nil
            logDirectory = nil
            client = try GenerationClient(kafka: settings.kafka, topicCreator: KafkaAdmin(config: settings.kafka, defaultTimeout: .seconds(10)),
                                          options: options)
        } else {
            let logs = FileManager.default.temporaryDirectory.appendingPathComponent("realign-\(options.clientID)").path
            let workerArguments = settings.adapters.flatMap { ["--adapter", "\($0.name)=\($0.path)"] }
            let fleet = try EmbeddedFleet(workerCount: settings.workers, models: settings.models, topics: settings.topics,
                                          threadsPerWorker: settings.threads, logDirectory: logs,
                                          kafkaOptions: settings.kafkaOptions, workerArguments: workerArguments)
            embedded = fleet
            logDirectory = logs
            var fleetOptions = options
            fleetOptions.replyPartitions = fleet.partitions
            do {
                client = try GenerationClient(kafka: fleet.kafka, topicCreator: fleet.broker, options: fleetOptions, health: fleet.health)
            } catch {
                fleet.shutdown()
                throw error
            }
        }
    }

    /// Starts a fleet, runs `body` on it and shuts it down. The embedded workers' logs
    /// are removed after a success and kept (their place printed) otherwise.
    static func run(_ settings: Settings, clientPrefix: String,
                    _ body: (GenerationFleet) async throws -> ExitCode) async throws -> ExitCode {
        let fleet = try GenerationFleet(settings, clientPrefix: clientPrefix)
        var status = ExitCode.failure
        defer {
            fleet.client.close()
            fleet.embedded?.shutdown()
            if let logs = fleet.logDirectory {
                if status == .success {
                    try? FileManager.default.removeItem(atPath: logs)
                } else {
                    CommandRunner.printError("the embedded workers' logs are in \(logs)")
                }
            }
        }
        status = try await body(fleet)
        return status
    }
}
