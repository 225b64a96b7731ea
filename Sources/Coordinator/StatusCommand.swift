import Core
import Foundation

/// `realign status`: a teacher run's progress, read from the broker alone.
enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "show a teacher run's progress from the broker alone",
        usage: "realign status --run-id ID [--brokers LIST] [-X KEY=VALUE ...] [-F FILE] [--topic-prefix P] [--group ID] [--timeout SECONDS] [--json]",
        options: [
            .init("run-id", value: "ID", help: "The run (replies are read from <prefix>.replies.<ID>)."),
            .init("brokers", short: "b", value: "LIST", help: "Kafka bootstrap servers.", environment: "REALIGN_BROKERS"),
            .init("topic-prefix", value: "PREFIX", help: "Prefix of the fleet's topics (default: realign)."),
            .init("group", short: "G", value: "ID", help: "Worker group whose lag on the job topic is shown (default: <prefix>-workers)."),
            .init("timeout", value: "SECONDS", help: "Give up reading after this long (default 30)."),
            .init("json", help: "Print one JSON object instead of text."),
        ] + KafkaCommandLine.options,
        epilog: """
        Reads the run's reply topic from its start (the coordinator's run-start and \
        sequence-failed records and the workers' replies) and the worker group's offsets.
        Exit status: 0 complete, 3 complete but some records failed, 4 not complete yet, \
        1 no such run or the cluster could not be read, 2 usage error.
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            let runID = try arguments.required("run-id")
            let topics = Topics(prefix: arguments.string("topic-prefix") ?? Topics.defaultPrefix)
            let kafka = try KafkaCommandLine.config(brokers: arguments.string("brokers"), arguments)
            guard kafka.bootstrapServers != nil else {
                throw UsageError(command: spec.name, message: "--brokers is required (or bootstrap.servers in a -F file or REALIGN_KAFKA_BOOTSTRAP_SERVERS)")
            }
            let seconds = try arguments.double("timeout") ?? 30
            guard seconds > 0, seconds < 86_400 else { throw UsageError(command: spec.name, message: "--timeout must be in (0, 86400) seconds") }
            let reader = RunStatusReader(config: kafka, topics: topics, workerGroup: arguments.string("group"),
                                         timeout: .milliseconds(Int64(seconds * 1000)))
            let status = try reader.read(runID: runID)
            print(arguments.has("json") ? String(decoding: status.jsonValue.jsonBytes, as: UTF8.self) : status.text)
            guard status.isComplete else { return .incomplete }
            return status.sequencesFailed > 0 ? .partial : .success
        }
    }
}
