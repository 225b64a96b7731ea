import Foundation
import Testing
@testable import Core

/// The fleet against the broker `REALIGN_TEST_BROKER` selects (`make test` runs this
/// suite once on librdkafka's mock cluster and once on Tansu): `realign teacher
/// --brokers` with a worker the test starts, and the shards compared byte for byte with
/// the embedded fleet's.
@Suite(.serialized) struct BrokerEndToEndTests {
    @Test("A teacher run over the selected broker writes the embedded fleet's shards, byte for byte")
    func teacherRunMatchesEmbeddedFleet() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("broker-\(TestBroker.selected.rawValue)")
        let data = directory + "/data.json"
        try TeacherEndToEndTests.writeDataset(TeacherEndToEndTests.records.prefix(4).map(TeacherEndToEndTests.alpaca), to: data)

        let embedded = try await TeacherEndToEndTests.realign(
            "embedded", TeacherEndToEndTests.teacherArguments(data: data, out: directory + "/embedded")
                + ["--workers", "1", "--threads", "1"],
            in: directory)
        #expect(embedded.exitCode == 0, "\(embedded.transcript)")

        let broker = try TestBroker(logDirectory: directory)
        let topics = Topics()
        try broker.createTopics(topics.fleetTopics, partitions: 4)
        let workers = try WorkerProcesses(
            count: 1, executable: WorkerProcesses.defaultExecutable(), brokers: broker.bootstrapServers,
            models: [("smol", TestPaths.smolLM2)], threads: 1,
            extraArguments: KafkaConfig.fastTestTimings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] },
            logDirectory: directory)
        defer { workers.stop(grace: .seconds(10)) }
        var arguments = TeacherEndToEndTests.teacherArguments(data: data, out: directory + "/external")
        arguments[arguments.firstIndex(of: "--ref")! + 1] = "smol"
        let external = try await TeacherEndToEndTests.realign(
            "\(broker.kind.rawValue)-broker", arguments + ["--brokers", broker.bootstrapServers], in: directory)
        #expect(external.exitCode == 0, "\(external.transcript)\n\(workers.logTail(0, lines: 8))")

        let clean = try TeacherEndToEndTests.finishedRun(directory + "/embedded")
        let run = try TeacherEndToEndTests.finishedRun(directory + "/external")
        #expect(run.manifest.complete)
        #expect(!run.shardBytes.isEmpty)
        #expect(run.shardBytes == clean.shardBytes, "shards over \(broker.kind.rawValue) differ from the embedded fleet's")
    }
}
