import Core
import Foundation

/// `realign broker`: the embedded broker (librdkafka's mock cluster) on its own, with
/// the product's topics, for workers and clients started by hand.
enum BrokerCommand {
    static let spec = CommandSpec(
        name: "broker",
        summary: "run an embedded Kafka broker (librdkafka's mock cluster) with the fleet's topics",
        usage: "realign broker [--brokers-count N] [--partitions N] [--topic-prefix P]",
        options: [
            .init("brokers-count", value: "N", help: "Brokers in the mock cluster (default 1)."),
            .init("partitions", short: "p", value: "N", help: "Partitions of each topic (default 4)."),
            .init("topic-prefix", value: "PREFIX", help: "Prefix of the fleet's topics (default: realign)."),
        ],
        epilog: """
        Prints the bootstrap servers on stdout, then serves until SIGINT or SIGTERM. Exit \
        status: 0 stopped by a signal, 1 the broker could not start, 2 usage error.
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            let brokers = try arguments.int("brokers-count", in: 1...16) ?? 1
            let partitions = try arguments.int("partitions", in: 1...1024) ?? 4
            let topics = Topics(prefix: arguments.string("topic-prefix") ?? Topics.defaultPrefix)
            let stop = StopSignal()
            let broker = try EmbeddedBroker(brokerCount: brokers)
            try broker.createTopics(topics.fleetTopics, partitions: partitions, replicationFactor: 1)
            FileHandle.standardOutput.write(Data((broker.bootstrapServers + "\n").utf8))
            Log.info("embedded broker serving", ["bootstrap": .string(broker.bootstrapServers), "topics": .array(topics.fleetTopics.map { .string($0) })])
            while !stop.isRequested { try await Task.sleep(for: .milliseconds(100)) }
            return .success
        }
    }
}
