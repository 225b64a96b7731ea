import Foundation
import Testing
@testable import Core

/// The fleet against the broker `REALIGN_TEST_BROKER` selects (`make test` runs this
/// suite once on librdkafka's mock cluster and once on Tansu): `realign teacher
/// --brokers` and `realign generate --brokers` with a worker the test starts, judged
/// against the embedded fleet's shards byte for byte and the greedy goldens.
@Suite(.serialized, .timeLimit(.minutes(10))) struct BrokerEndToEndTests {
    /// A broker with the fleet's topics and one worker serving SmolLM2 as `smol`.
    final class ExternalFleet {
        let broker: TestBroker
        let workers: WorkerProcesses

        init(directory: String) throws {
            broker = try TestBroker(logDirectory: directory)
            try broker.createTopics(Topics().fleetTopics, partitions: 4)
            workers = try WorkerProcesses(
                count: 1, executable: WorkerProcesses.defaultExecutable(), brokers: broker.bootstrapServers,
                models: [("smol", TestPaths.smolLM2)], threads: 1,
                extraArguments: KafkaConfig.fastTestTimings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] },
                logDirectory: directory)
        }

        deinit { workers.stop(grace: .seconds(10)) }

        var name: String { broker.kind.rawValue }
        var logTail: String { workers.logTail(0, lines: 8) }
    }

    @Test("A teacher run over the selected broker writes the embedded fleet's shards, byte for byte")
    func teacherRunMatchesEmbeddedFleet() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("broker-teacher-\(TestBroker.selected.rawValue)")
        let data = directory + "/data.json"
        try TeacherEndToEndTests.writeDataset(TeacherEndToEndTests.records.prefix(4).map(TeacherEndToEndTests.alpaca), to: data)

        let embedded = try await TeacherEndToEndTests.realign(
            "embedded", TeacherEndToEndTests.teacherArguments(data: data, out: directory + "/embedded")
                + ["--workers", "1"],
            in: directory)
        #expect(embedded.exitCode == 0, "\(embedded.transcript)")

        let fleet = try ExternalFleet(directory: directory)
        var arguments = TeacherEndToEndTests.teacherArguments(data: data, out: directory + "/external")
        arguments[arguments.firstIndex(of: "--ref")! + 1] = "smol"
        let external = try await TeacherEndToEndTests.realign(
            "\(fleet.name)-teacher", arguments + ["--brokers", fleet.broker.bootstrapServers], in: directory)
        #expect(external.exitCode == 0, "\(external.transcript)\n\(fleet.logTail)")

        let clean = try TeacherEndToEndTests.finishedRun(directory + "/embedded")
        let run = try TeacherEndToEndTests.finishedRun(directory + "/external")
        #expect(run.manifest.complete)
        #expect(!run.shardBytes.isEmpty)
        #expect(run.shardBytes == clean.shardBytes, "shards over \(fleet.name) differ from the embedded fleet's")
    }

    @Test("Greedy generation over the selected broker streams the goldens' text and ids")
    func generationMatchesGoldens() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("broker-generate-\(TestBroker.selected.rawValue)")
        let goldens = try GenerateEndToEndTests.goldens()
        let records = goldens.map { JSONValue.object([JSONMember("id", .string($0.name)), JSONMember("messages", $0.messages)]) }
        try Data(records.map(\.jsonText).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory + "/prompts.jsonl"))

        let fleet = try ExternalFleet(directory: directory)
        let streamed = try await TeacherEndToEndTests.realign(
            "\(fleet.name)-generate-one",
            ["generate", "--brokers", fleet.broker.bootstrapServers, "--model", "smol", "--messages", goldens[0].messages.jsonText,
             "--temperature", "0", "--max-tokens", String(goldens[0].generatedIDs.count)],
            in: directory)
        #expect(streamed.exitCode == 0, "\(streamed.transcript)\n\(fleet.logTail)")
        #expect(streamed.stdout == goldens[0].generatedText + "\n", "\(streamed.transcript)")

        let batch = try await TeacherEndToEndTests.realign(
            "\(fleet.name)-generate-data",
            ["generate", "--brokers", fleet.broker.bootstrapServers, "--model", "smol", "--data", directory + "/prompts.jsonl",
             "--out", directory + "/results.jsonl", "--temperature", "0", "--max-tokens", "16"],
            in: directory)
        #expect(batch.exitCode == 0, "\(batch.transcript)\n\(fleet.logTail)")
        let lines = try String(contentsOfFile: directory + "/results.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.count == goldens.count)
        for (line, golden) in zip(lines, goldens) {
            #expect(line["id"] == .string(golden.name))
            #expect(line["text"] == .string(golden.generatedText), "\(golden.name) over \(fleet.name)")
            #expect(line["token_ids"] == .array(golden.generatedIDs.map { .integer(Int64($0)) }), "\(golden.name) over \(fleet.name)")
        }
    }
}
