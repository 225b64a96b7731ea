import Foundation
@testable import Core

/// An in-process broker with the fleet's topics and one reply topic, and one real
/// `realign-worker` process serving them (the release binary beside the test
/// executable, or `REALIGN_WORKER`), with group timings that notice a dead member within
/// seconds. The worker is stopped (SIGTERM, then SIGKILL) when this is released, and it
/// exits by itself if the test process dies (`--parent-pid`).
final class SingleWorkerFleet {
    static let partitions = 4

    let topics = Topics()
    let broker: EmbeddedBroker
    let replyTopic: String
    let workers: WorkerProcesses
    /// For the test's own clients of the broker.
    let config: KafkaConfig

    init(models: [(name: String, path: String)], logDirectory: String, runID: String, extraArguments: [String] = []) throws {
        broker = try EmbeddedBroker()
        try broker.createTopics(topics.fleetTopics, partitions: Self.partitions, replicationFactor: 1)
        replyTopic = topics.replies(runID)
        try broker.createTopic(name: replyTopic, partitions: Self.partitions)
        config = KafkaTestSupport.config(broker)
        workers = try WorkerProcesses(
            count: 1, executable: WorkerProcesses.defaultExecutable(), brokers: broker.bootstrapServers,
            models: models, threads: 1,
            extraArguments: ["-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"] + extraArguments,
            logDirectory: logDirectory)
    }

    deinit {
        workers.stop(grace: .seconds(10))
    }

    var isWorkerRunning: Bool { workers.runningCount == 1 }

    /// The end of the worker's log, for failure messages.
    func logTail() -> String {
        "the end of the worker's log:\n" + workers.logTail(0, lines: 8)
    }

    /// Why waiting for the worker is hopeless: it exited (with its log's end), else nil.
    func workerExited() -> String? {
        isWorkerRunning ? nil : "the worker exited; " + logTail()
    }

    /// Stops the worker and returns its log, one parsed JSON object a line.
    func stopAndReadLog() throws -> [JSONValue] {
        workers.stop(grace: .seconds(10))
        let text = try String(contentsOfFile: workers.logPaths[0], encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    /// A fresh temporary directory for one test, removed by the caller.
    static func temporaryDirectory(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("realign-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
