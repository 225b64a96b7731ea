import Foundation

/// A whole fleet inside one coordinator: librdkafka's mock cluster as the broker, the
/// product's topics, and `realign-worker` processes connected to it. What a command
/// given no `--brokers` runs on.
public final class EmbeddedFleet: Sendable {
    /// Group timings for the embedded fleet: a dead worker's jobs move to another
    /// member within seconds (FACTS.md: the heartbeat must be well under the session).
    public static let workerProperties = KafkaConfig.fastTestTimings

    public let broker: EmbeddedBroker
    public let workers: WorkerProcesses
    public let partitions: Int
    public let kafka: KafkaConfig

    /// - Parameter kafkaOptions: the command's `-F` and `-X`, for every client of the
    ///   fleet, the command's own and the workers'. As a worker reads its options, the
    ///   `REALIGN_KAFKA_*` environment comes first, then the files, then the group
    ///   timings of `workerProperties`, then the `-X` properties.
    public init(workerCount: Int, models: [(name: String, path: String)], topics: Topics, partitions: Int? = nil,
                threadsPerWorker: Int? = nil, logDirectory: String, kafkaOptions: KafkaOptionArguments = .init(),
                workerArguments: [String] = [], workerEnvironment: [String: String] = [:],
                workerExecutable: String = WorkerProcesses.defaultExecutable()) throws {
        broker = try EmbeddedBroker(brokerCount: 1)
        let partitions = partitions ?? max(4, workerCount)
        self.partitions = partitions
        try broker.createTopics(topics.fleetTopics, partitions: partitions, replicationFactor: 1)
        let timings = Self.workerProperties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        kafka = try KafkaConfig(bootstrapServers: broker.bootstrapServers, passThrough: timings + kafkaOptions.properties,
                                files: kafkaOptions.files, environment: ProcessInfo.processInfo.environment)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threads = threadsPerWorker ?? max(1, cores / max(1, workerCount))
        let extra = workerArguments + ["--topic-prefix", topics.prefix] + timings.flatMap { ["-X", $0] } + kafkaOptions.arguments
        workers = try WorkerProcesses(count: workerCount, executable: workerExecutable, brokers: broker.bootstrapServers,
                                      models: models, threads: threads, extraArguments: extra, environment: workerEnvironment,
                                      logDirectory: logDirectory)
    }

    /// The fleet as a teacher run sees it.
    public var teacherFleet: TeacherRun.Fleet {
        TeacherRun.Fleet(kafka: kafka, topicCreator: broker, replyPartitions: partitions, replicationFactor: 1, health: health)
    }

    /// Why the fleet cannot work any more (every worker has exited), or nil.
    public var health: @Sendable () -> String? {
        let workers = self.workers
        return {
            guard workers.runningCount == 0 else { return nil }
            return "every worker exited; the end of its log:\n" + workers.logTail(0)
        }
    }

    public func shutdown() {
        workers.stop()
    }
}
