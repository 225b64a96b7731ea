import Foundation
import Testing
@testable import Core

/// `RunStatus` on messages made here: what counts once, what completes a run.
@Suite struct RunStatusTests {
    static func message(_ offset: Int64, key: String?, value: [UInt8], headers: [KafkaHeader]) -> KafkaMessage {
        KafkaMessage(topic: "realign.replies.r", partition: 0, offset: offset, key: key.map { Array($0.utf8) },
                     value: value, headers: headers, timestamp: nil)
    }

    static func record(_ offset: Int64, _ record: RunRecord) -> KafkaMessage {
        message(offset, key: "r", value: record.jsonValue.jsonBytes, headers: record.headers)
    }

    static func reply(_ offset: Int64, job: String, _ sequences: [(String, [Int32], Int)]) throws -> KafkaMessage {
        let targets = try TeacherTargetsSamples.make(jobID: job, sequences)
        return message(offset, key: job, value: targets.serialized(), headers: [KafkaHeader(name: ReplyHeaders.jobID, string: job)])
    }

    static func errorReply(_ offset: Int64, job: String, _ code: JobErrorCode) -> KafkaMessage {
        message(offset, key: job, value: ErrorReply(id: job, code: code, message: "m").jsonBytes(), headers: [
            KafkaHeader(name: ReplyHeaders.jobID, string: job), KafkaHeader(name: ReplyHeaders.status, string: "error"),
        ])
    }

    @Test func recordsRoundTripThroughTheirMessages() throws {
        let start = RunRecord.start(.init(runID: "r", sequences: 4, jobs: 2, alreadyDone: 1, resumed: true, startedAtMs: 17))
        let failed = RunRecord.sequenceFailed(.init(sequence: 3, id: "s3", code: "too_long", message: "too long"))
        #expect(try RunRecord.decode(Self.record(0, start)) == start)
        #expect(try RunRecord.decode(Self.record(1, failed)) == failed)
        #expect(try RunRecord.decode(try Self.reply(2, job: "r/0", [("a", [1, 2, 3], 1)])) == nil)
        #expect(String(decoding: start.jsonValue.jsonBytes, as: UTF8.self)
            == #"{"run_id":"r","sequences":4,"jobs":2,"already_done":1,"resumed":true,"started_at_ms":17}"#)
        let unknown = Self.message(3, key: nil, value: Array("{}".utf8), headers: [KafkaHeader(name: RunRecord.header, string: "run-end")])
        let error = #expect(throws: RunRecordError.self) { try RunRecord.decode(unknown) }
        #expect(error?.description == "run record 'run-end' at partition 0 offset 3: unknown record kind")
    }

    @Test func countsEachJobAndSequenceOnceAndCompletesWithFailures() throws {
        var status = RunStatus(runID: "r")
        #expect(!status.isComplete)
        try status.add(Self.record(0, .start(.init(runID: "r", sequences: 4, jobs: 2, alreadyDone: 0, resumed: false, startedAtMs: 1))))
        try status.add(try Self.reply(1, job: "r/000000", [("a", [1, 2, 3], 1), ("b", [4, 5], 1)]))
        try status.add(try Self.reply(2, job: "r/000000", [("a", [1, 2, 3], 1), ("b", [4, 5], 1)]))
        try status.add(Self.errorReply(3, job: "r/000001", .tokenOutOfRange))
        try status.add(try Self.reply(4, job: "r/000001.0", [("c", [6, 7, 8, 9], 2)]))
        #expect(!status.isComplete)
        try status.add(Self.errorReply(5, job: "r/000001.1", .tokenOutOfRange))
        try status.add(Self.record(6, .sequenceFailed(.init(sequence: 3, id: "d", code: "token_out_of_range", message: "m"))))
        #expect(status.isComplete)
        #expect(status.sequencesDone == 3)
        #expect(status.sequencesFailed == 1)
        #expect(status.tokensDone == 9)
        #expect(status.jobsAnswered == 4)
        #expect(status.errors == ["token_out_of_range": 2])
        #expect(status.attempts == 1)
        #expect(String(decoding: status.jsonValue.jsonBytes, as: UTF8.self) == #"{"run_id":"r","complete":true,"sequences":4,"sequences_done":3,"sequences_failed":1,"tokens_done":9,"jobs_answered":4,"jobs_submitted_last_attempt":2,"attempts":1,"errors":{"token_out_of_range":2},"unreadable_replies":0}"#)
    }

    @Test func aResumedAttemptCountsItsPredecessorsReplies() throws {
        var status = RunStatus(runID: "r")
        try status.add(Self.record(0, .start(.init(runID: "r", sequences: 2, jobs: 1, alreadyDone: 0, resumed: false, startedAtMs: 1))))
        try status.add(try Self.reply(1, job: "r/000000", [("a", [1, 2], 1)]))
        try status.add(Self.record(2, .start(.init(runID: "r", sequences: 2, jobs: 1, alreadyDone: 1, resumed: true, startedAtMs: 2))))
        try status.add(Self.message(3, key: "r/000001", value: [1, 2, 3], headers: [KafkaHeader(name: ReplyHeaders.jobID, string: "r/000001")]))
        #expect(status.attempts == 2)
        #expect(status.start?.resumed == true)
        #expect(status.unreadableReplies == 1)
        #expect(!status.isComplete)
        try status.add(try Self.reply(4, job: "r/000001.0", [("b", [3, 4, 5], 1)]))
        #expect(status.isComplete)
        #expect(status.text == """
        run r: complete
          sequences: 2 of 2 done, 0 failed (100.0%)
          attempts: 2 (the last submitted 1 jobs)
          tokens: 5
          job replies: 3
          unreadable replies: 1
        """)
    }
}

/// `realign status` against a real run: the in-process coordinator (`TeacherRun`) on an
/// embedded broker with one `realign-worker`, a dataset with one record the worker
/// refuses; then the binary reads the run back from the broker alone.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct StatusCommandTests {
    @Test func statusOfAFinishedRunAnIncompleteOneAndAnUnknownOne() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("status")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runID = "status-run"
        let fleet = try SingleWorkerFleet(models: [("smol", TestPaths.smolLM2)], logDirectory: "\(directory)/logs", runID: runID)
        let records: [String] = [
            #"{"id": "a", "prompt": "What is 2+2?", "response": "4."}"#,
            #"{"id": "b", "input_ids": [1, 60000, 3], "prompt_len": 1}"#,
            #"{"id": "c", "prompt": "Name a colour.", "response": "Blue."}"#,
            #"{"id": "d", "input_ids": [1, 2, 3, 4, 5], "prompt_len": 2}"#,
        ]
        try Data(records.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/data.jsonl"))
        let run = TeacherRun(options: .init(
            dataPath: "\(directory)/data.jsonl", limit: nil, ref: "smol", aligned: "smol", alignedSystem: nil,
            lambdas: [0.5, 2.0], topK: 4, outputDirectory: "\(directory)/out", runID: runID, topics: fleet.topics,
            jobTimeout: .seconds(60), showProgress: false), stop: StopSignal())
        let workers = fleet.workers
        let summary = try await run.run(try run.prepare(), on: .init(
            kafka: fleet.config, topicCreator: fleet.broker, replyPartitions: SingleWorkerFleet.partitions, replicationFactor: 1,
            health: { workers.runningCount == 1 ? nil : "the worker exited; " + workers.logTail(0, lines: 8) }))
        #expect(summary.sequences == 3)
        #expect(summary.failed == 1)

        let brokers = fleet.broker.bootstrapServers
        let finished = try await RealignProcess.run(["status", "--brokers", brokers, "--run-id", runID, "--json", "--timeout", "20"],
                                                    outputPrefix: "\(directory)/status", timeout: .seconds(60))
        #expect(finished.exitCode == ExitCode.partial.rawValue, "\(finished.transcript)")
        let json = try JSONParser.parse(finished.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["complete"] == .bool(true))
        #expect(json["sequences"] == .integer(4))
        #expect(json["sequences_done"] == .integer(3))
        #expect(json["sequences_failed"] == .integer(1))
        #expect(json["tokens_done"] == .integer(Int64(summary.tokens)))
        #expect(json["attempts"] == .integer(1))
        // One job for all four records, its error reply, then one job per record.
        #expect(json["jobs_answered"] == .integer(5))
        #expect(json["errors"] == .object([JSONMember("token_out_of_range", .integer(2))]))
        #expect(json["worker_lag_by_partition"]?.objectMembers?.count == SingleWorkerFleet.partitions)

        // Every job is committed once the worker has replied: the group's lag drops to 0.
        let reader = RunStatusReader(config: fleet.config, topics: fleet.topics, timeout: .seconds(10))
        var lag: Int64 = -1
        for _ in 0..<50 where lag != 0 {
            lag = try reader.read(runID: runID).workerLag?.values.reduce(0, +) ?? -1
            if lag != 0 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(lag == 0)

        // A run that has started and has no replies yet.
        let pendingID = "status-pending"
        try fleet.broker.createTopic(name: fleet.topics.replies(pendingID), partitions: 2)
        let producer = try KafkaProducer(config: fleet.config)
        let start = RunRecord.start(.init(runID: pendingID, sequences: 10, jobs: 3, alreadyDone: 0, resumed: false, startedAtMs: 5))
        _ = try await producer.send(topic: fleet.topics.replies(pendingID), key: Array(pendingID.utf8),
                                    value: start.jsonValue.jsonBytes, headers: start.headers)
        let pending = try await RealignProcess.run(["status", "--brokers", brokers, "--run-id", pendingID],
                                                   outputPrefix: "\(directory)/pending", timeout: .seconds(60))
        #expect(pending.exitCode == ExitCode.incomplete.rawValue, "\(pending.transcript)")
        #expect(pending.stdout.hasPrefix("run status-pending: in progress\n  sequences: 0 of 10 done, 0 failed (0.0%)\n"), "\(pending.transcript)")

        let unknown = try await RealignProcess.run(["status", "--brokers", brokers, "--run-id", "no-such-run", "--timeout", "5"],
                                                   outputPrefix: "\(directory)/unknown", timeout: .seconds(60))
        #expect(unknown.exitCode == ExitCode.failure.rawValue, "\(unknown.transcript)")
        // The embedded broker creates the topic on the metadata request: no run-start record.
        #expect(unknown.stderr.contains("no run no-such-run on this cluster: realign.replies.no-such-run holds no run-start record"), "\(unknown.transcript)")
    }

    /// Secrets given to `realign` in a -F file are not echoed when librdkafka refuses
    /// the configuration (a usage error, found before anything connects).
    @Test func aRefusedConfigurationDoesNotPrintTheSecretsBesideIt() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("status-secret")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("bootstrap.servers=127.0.0.1:9\nsasl.password=hunter2-very-secret\nsecurity.protocol=bogus\n".utf8)
            .write(to: URL(fileURLWithPath: "\(directory)/kafka.properties"))
        let outcome = try await RealignProcess.run(["status", "--run-id", "x", "-F", "\(directory)/kafka.properties"],
                                                   outputPrefix: "\(directory)/run", timeout: .seconds(60))
        #expect(outcome.exitCode == ExitCode.usage.rawValue, "\(outcome.transcript)")
        #expect(outcome.stderr.contains("invalid Kafka property 'security.protocol'"), "\(outcome.transcript)")
        #expect(!outcome.stderr.contains("hunter2") && !outcome.stdout.contains("hunter2"), "\(outcome.transcript)")
    }
}
