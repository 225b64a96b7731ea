import Foundation
import Testing
@testable import Core

/// The worker's `--metrics-port` endpoints, on a real worker process.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct WorkerStatusTests {
    @Test func probesAndMetricsFollowTheWorkersState() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("status")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fleet = try SingleWorkerFleet(models: [("smol", TestPaths.smolLM2)], logDirectory: directory, runID: "status",
                                          extraArguments: ["--metrics-port", "0"])
        let port = try await Self.statusPort(logPath: fleet.workers.logPaths[0], hopeless: fleet.workerExited)

        #expect(try HTTPTestClient.request(port: port, path: "/healthz").status == 200)
        #expect(try HTTPTestClient.request(port: port, path: "/nope").status == 404)
        let deadline = ContinuousClock.now + .seconds(60)
        while try HTTPTestClient.request(port: port, path: "/readyz").status != 200 {
            guard ContinuousClock.now < deadline, fleet.workerExited() == nil else {
                Issue.record("never ready; \(fleet.logTail())")
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }

        let producer = try KafkaProducer(config: fleet.config)
        let good = BadJobCase.jobText(id: "good", replyTo: fleet.replyTopic,
                                      body: BadJobCase.teacherBody())
        let bad = BadJobCase.jobText(id: "bad", replyTo: fleet.replyTopic, body: BadJobCase.teacherBody(ref: "nope"))
        for text in [good, bad] { _ = try await producer.send(topic: fleet.topics.jobs, partition: 0, value: Array(text.utf8)) }
        let replies = try TopicReader(config: fleet.config, topic: fleet.replyTopic, partitions: SingleWorkerFleet.partitions)
        try replies.read(within: .seconds(60), hopeless: fleet.workerExited) { $0.count >= 2 }

        // A reply is delivered before its job is counted: wait for the counters to settle.
        var metrics = try HTTPTestClient.request(port: port, path: "/metrics")
        let settled = ContinuousClock.now + .seconds(10)
        while !metrics.body.contains("realign_jobs_in_flight 0"), ContinuousClock.now < settled {
            try await Task.sleep(for: .milliseconds(100))
            metrics = try HTTPTestClient.request(port: port, path: "/metrics")
        }
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let lines = Set(metrics.body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"realign_jobs_total{kind="teacher",status="done"} 1"#))
        #expect(lines.contains(#"realign_jobs_total{kind="teacher",status="unknown_model"} 1"#))
        #expect(lines.contains(#"realign_job_duration_seconds_count{kind="teacher"} 2"#))
        #expect(lines.contains("realign_jobs_in_flight 0"))
        #expect(lines.contains { $0.hasPrefix(#"realign_model_load_seconds{model="smol"} "#) })
        #expect(lines.contains { $0.hasPrefix(#"realign_tokens_total{kind="teacher"} "#) })
    }

    /// The port a worker chose, from its `status endpoints` log line.
    /// - Parameter hopeless: why waiting cannot help (the worker exited), or nil.
    static func statusPort(logPath: String, hopeless: () -> String?) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, hopeless() == nil {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                if let entry = try? JSONParser.parse(String(line)), entry["msg"]?.stringValue == "status endpoints",
                   let port = entry["port"]?.integerValue {
                    return Int(port)
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HTTPTestError("the worker logged no status port in \(logPath); \(hopeless() ?? "")")
    }
}
