import Foundation
import Testing
@testable import Core

/// A command's `-F` and `-X` configure the embedded fleet it starts: its own clients and
/// its workers, which are handed the same options.
struct EmbeddedFleetTests {
    @Test func kafkaOptionsReachTheCoordinatorAndTheWorkers() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("embedded-fleet-options")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/client.properties"
        try "# refused by librdkafka, so a worker that reads this file says so\nno.such.property=1\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let fleet = try EmbeddedFleet(
            workerCount: 1, models: [("smol", directory + "/unused.gguf")], topics: Topics(prefix: "options"),
            logDirectory: directory + "/logs",
            kafkaOptions: KafkaOptionArguments(files: [file], properties: ["heartbeat.interval.ms=1500", "linger.ms=7"]))
        defer { fleet.shutdown() }

        #expect(fleet.kafka["no.such.property"] == "1")
        #expect(fleet.kafka["linger.ms"] == "7")
        #expect(fleet.kafka["heartbeat.interval.ms"] == "1500", "-X over the fleet's own group timings")
        #expect(fleet.kafka["session.timeout.ms"] == EmbeddedFleet.workerProperties["session.timeout.ms"])

        let deadline = ContinuousClock.now + .seconds(60)
        while fleet.workers.runningCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(fleet.workers.runningCount == 0, "the worker did not refuse the -F file")
        let tail = fleet.workers.logTail(0)
        #expect(tail.contains("invalid Kafka property 'no.such.property'"), "\(tail)")
    }
}
