import Foundation
import Testing
@testable import Core

/// One real `realign-worker` process on an in-process broker, fed every kind of bad job
/// of the contract (ARCHITECTURE.md, "Topics and messages"): each must get its exact
/// error code in a JSON error reply on its `reply_to` (when that can be read) and a copy
/// in the DLQ, and the worker must then still serve a good job, byte for byte as this
/// process computes it.
///
/// Needs the release binaries beside the test executable (`swift build -c release`,
/// then `swift test -c release`) or `REALIGN_WORKER`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WorkerBadInputTests {
    static let caseHeader = "realign-test-case"
    static let maxReplyBytes = 1_000_000

    @Test func everyBadJobIsAnsweredWithItsCodeAndTheWorkerKeepsServing() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("worker-bad-input")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tinyPath = try ByteTokenizerModelDirectory.make(at: "\(directory)/tiny")
        let fleet = try SingleWorkerFleet(models: [("smol", TestPaths.smolLM2), ("tiny", tinyPath)],
                                          logDirectory: "\(directory)/logs", runID: "bad-input")
        let topics = fleet.topics
        let replyTopic = fleet.replyTopic

        // The same models in this process, for the expected messages and the good reply.
        let smol = try ServedModel.load(name: "smol", path: TestPaths.smolLM2)
        let tiny = try ServedModel.load(name: "tiny", path: tinyPath)
        #expect(smol.tokenizer.contentSHA256 != tiny.tokenizer.contentSHA256)
        let runner = TeacherJobRunner(models: ["smol": smol, "tiny": tiny], maxReplyBytes: Self.maxReplyBytes)

        let config = fleet.config
        let producer = try KafkaProducer(config: config)
        let cases = BadJobCase.all(replyTo: replyTopic, topics: topics)
        #expect(Set(cases.map { SHA256.hex($0.bytes) }).count == cases.count, "cases are told apart by their bytes' hash")
        var reports: [String: DeliveryReport] = [:]
        for job in cases {
            reports[job.name] = try await producer.send(topic: topics.jobs, key: job.key, value: job.bytes,
                                                        headers: [KafkaHeader(name: Self.caseHeader, string: job.name)])
        }

        // Wait for what each job must get, found by the hash of its bytes (not by counts, so
        // that a missing answer cannot be covered by an unexpected one).
        let replies = try TopicReader(config: config, topic: replyTopic, partitions: SingleWorkerFleet.partitions)
        let deadLetters = try TopicReader(config: config, topic: topics.dlq, partitions: SingleWorkerFleet.partitions)
        let allHashes = Set(cases.map { SHA256.hex($0.bytes) })
        let replyingHashes = Set(cases.filter(\.replies).map { SHA256.hex($0.bytes) })
        try deadLetters.read(within: .seconds(90), hopeless: fleet.workerExited) { Self.jobHashes($0).isSuperset(of: allHashes) }
        try replies.read(within: .seconds(15), hopeless: fleet.workerExited) { Self.jobHashes($0).isSuperset(of: replyingHashes) }

        // The worker goes on serving: one good job, computed again here.
        let goodID = "good-after-bad"
        let goodBytes = Array(BadJobCase.jobText(id: goodID, replyTo: replyTopic, body: BadJobCase.teacherBody()).utf8)
        _ = try await producer.send(topic: topics.jobs, key: Array(goodID.utf8), value: goodBytes)
        try replies.read(within: .seconds(60), hopeless: fleet.workerExited) { Self.jobHashes($0).contains(SHA256.hex(goodBytes)) }
        let reply = try #require(replies.messages.last)
        #expect(reply.keyString == goodID)
        #expect(reply.headers == [
            KafkaHeader(name: ReplyHeaders.contentType, string: TeacherTargets.contentType),
            KafkaHeader(name: ReplyHeaders.jobID, string: goodID),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: SHA256.hex(goodBytes)),
        ])

        // One worker answers in order: every error reply it sent went out before the good one.
        #expect(deadLetters.messages.count == cases.count)
        #expect(replies.messages.count == replyingHashes.count + 1)
        for job in cases {
            let expected = Self.inProcessError(job.bytes, runner: runner, topics: topics)
            try checkAnswer(to: job, expected: expected, report: try #require(reports[job.name]),
                            replies: replies.messages, deadLetters: deadLetters.messages, jobsTopic: topics.jobs)
        }

        let job = try JobDecoder.decode(goodBytes)
        let rendered = try SequenceRenderer(model: smol).render(try #require(job.sequences.first), systemOverride: nil)
        let tokens = rendered.ids.count
        let rows = tokens - rendered.promptLength
        let payloadPath = "\(directory)/good-reply.safetensors"
        try Data(reply.value).write(to: URL(fileURLWithPath: payloadPath))
        let file = try SafetensorsFile(path: payloadPath)
        var expectedShapes: [String: [Int]] = [
            "input_ids": [tokens], "input_offsets": [2], "prompt_lens": [1], "seq_offsets": [2], "target_ids": [rows],
        ]
        for tag in ["0.5", "2.0"] {
            expectedShapes[LambdaTag.topKIDsName(tag)] = [rows, 8]
            expectedShapes[LambdaTag.topKLogprobsName(tag)] = [rows, 8]
            expectedShapes[LambdaTag.targetLogprobName(tag)] = [rows]
        }
        #expect(file.tensors.mapValues(\.shape) == expectedShapes)
        let served = try TeacherTargets(safetensors: file)
        #expect(served.metadata.jobID == goodID)
        #expect(served.metadata.lambdaTags == ["0.5", "2.0"])
        #expect(served.inputIDs == rendered.ids)
        #expect(served.promptLens == [Int32(rendered.promptLength)])

        // On the worker's one thread: OpenBLAS's Haswell / Zen kernels sum a product in an
        // order that depends on its thread count.
        let savedThreads = ComputeThreads.count
        ComputeThreads.set(1)
        defer { ComputeThreads.set(savedThreads) }
        let computedHere = try runner.run(job)
        #expect(served == computedHere)
        #expect(reply.value == computedHere.serialized(), "the worker's reply and this process's computation differ")
        #expect(fleet.isWorkerRunning, "the worker exited: \(fleet.logTail())")

        // Its log tells the same story: one failure line per bad job, with its code.
        let logged = try fleet.stopAndReadLog()
        let failedCodes = logged.filter { $0["msg"]?.stringValue == "job failed" }.compactMap { $0["code"]?.stringValue }
        #expect(failedCodes.sorted() == cases.map(\.code.rawValue).sorted())
        #expect(logged.filter { $0["msg"]?.stringValue == "job done" }.compactMap { $0["job"]?.stringValue } == [goodID])
        #expect(logged.last?["msg"]?.stringValue == "worker stopping")
    }

    /// Jobs larger than the worker's own producer takes (`message.max.bytes`, 1 MB by
    /// default; a client with a larger limit can still submit them): the error reply
    /// must still go out, with a message cut short where it quotes the job, and the DLQ
    /// copy keeps everything but the bytes, whose size a header gives.
    @Test func jobsTooLargeToCopyAreAnsweredAndDeadLetteredWithoutTheirBytes() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("worker-oversized")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fleet = try SingleWorkerFleet(models: [("smol", TestPaths.smolLM2)], logDirectory: "\(directory)/logs",
                                          runID: "oversized")
        var config = fleet.config
        config["message.max.bytes"] = "4000000"
        let producer = try KafkaProducer(config: config)
        let replyTopic = fleet.replyTopic
        let longTokens = 400_000
        let hugeName = String(repeating: "m", count: 1_100_000)
        let cases = [
            BadJobCase.replying("huge-over-context", .tooLong,
                                "has \(longTokens) tokens (prompt 1) in the view of smol, over the limit of \(BadJobCase.smolContext)",
                                body: BadJobCase.teacherBody(sequences: BadJobCase.tokens(Array(repeating: 42, count: longTokens), promptLen: 1)),
                                replyTo: replyTopic),
            // The message quotes the name: cut to the limit, ending in an ellipsis.
            BadJobCase.replying("huge-model-name", .unknownModel,
                                #"model ""# + String(repeating: "m", count: JobWorker.maxErrorMessageBytes - 7 - 3) + "…",
                                body: BadJobCase.teacherBody(ref: hugeName), replyTo: replyTopic),
        ]
        var reports: [String: DeliveryReport] = [:]
        for job in cases {
            #expect(job.bytes.count > Self.maxReplyBytes)
            reports[job.name] = try await producer.send(topic: fleet.topics.jobs, key: job.key, value: job.bytes,
                                                        headers: [KafkaHeader(name: Self.caseHeader, string: job.name)])
        }
        let goodID = "good-after-oversized"
        let goodBytes = Array(BadJobCase.jobText(id: goodID, replyTo: replyTopic, body: BadJobCase.teacherBody()).utf8)
        _ = try await producer.send(topic: fleet.topics.jobs, key: Array(goodID.utf8), value: goodBytes)

        let replies = try TopicReader(config: fleet.config, topic: replyTopic, partitions: SingleWorkerFleet.partitions)
        let deadLetters = try TopicReader(config: fleet.config, topic: fleet.topics.dlq, partitions: SingleWorkerFleet.partitions)
        let hashes = Set(cases.map { SHA256.hex($0.bytes) })
        try replies.read(within: .seconds(90), hopeless: fleet.workerExited) {
            Self.jobHashes($0).isSuperset(of: hashes.union([SHA256.hex(goodBytes)]))
        }
        try deadLetters.read(within: .seconds(15), hopeless: fleet.workerExited) { Self.jobHashes($0).isSuperset(of: hashes) }
        #expect(replies.messages.count == 3)
        #expect(deadLetters.messages.count == 2)
        #expect(replies.messages.first { $0.keyString == goodID }?.header(ReplyHeaders.contentType) == Array(TeacherTargets.contentType.utf8))

        for job in cases {
            let comment: Comment = "case \(job.name)"
            let sha = SHA256.hex(job.bytes)
            let answer = try #require(replies.messages.first { $0.header(ReplyHeaders.jobSHA256) == Array(sha.utf8) }, comment)
            let reply = try ErrorReply.decode(answer.value)
            #expect(reply.id == job.replyID, comment)
            #expect(reply.code == job.code, comment)
            #expect(reply.message.contains(job.messageFragment), comment)
            #expect(reply.message.utf8.count <= JobWorker.maxErrorMessageBytes, comment)

            let copy = try #require(deadLetters.messages.first { $0.header(ReplyHeaders.jobSHA256) == Array(sha.utf8) }, comment)
            let report = try #require(reports[job.name])
            #expect(copy.key == job.key, comment)
            #expect(copy.value.isEmpty, comment)
            #expect(copy.headers == [
                KafkaHeader(name: Self.caseHeader, string: job.name),
                KafkaHeader(name: ReplyHeaders.errorCode, string: job.code.rawValue),
                KafkaHeader(name: ReplyHeaders.errorMessage, string: reply.message),
                KafkaHeader(name: ReplyHeaders.sourceTopic, string: fleet.topics.jobs),
                KafkaHeader(name: ReplyHeaders.sourcePartition, string: String(report.partition)),
                KafkaHeader(name: ReplyHeaders.sourceOffset, string: String(report.offset)),
                KafkaHeader(name: ReplyHeaders.jobSHA256, string: sha),
                KafkaHeader(name: ReplyHeaders.omittedBytes, string: String(job.bytes.count)),
            ], comment)
        }
        #expect(fleet.isWorkerRunning, "the worker exited: \(fleet.logTail())")
    }

    /// The `realign-job-sha256` headers of these messages.
    static func jobHashes(_ messages: [KafkaMessage]) -> Set<String> {
        Set(messages.compactMap { $0.header(ReplyHeaders.jobSHA256).flatMap { String(validating: $0, as: UTF8.self) } })
    }

    /// What this process's decoder and runner say about a job: the failure every bad
    /// job must meet before any compute.
    static func inProcessError(_ bytes: [UInt8], runner: TeacherJobRunner, topics: Topics) -> JobError? {
        do {
            let job = try JobDecoder.decode(bytes)
            if let refusal = ReplySender.refusal(ofReplyTo: job.replyTo, jobID: job.id, fleetTopics: Set(topics.fleetTopics)) { return refusal }
            _ = try runner.run(job)
            return nil
        } catch {
            return error
        }
    }

    /// The job's DLQ copy and error reply, header by header.
    func checkAnswer(to job: BadJobCase, expected: JobError?, report: DeliveryReport, replies: [KafkaMessage],
                     deadLetters: [KafkaMessage], jobsTopic: String) throws {
        let comment: Comment = "case \(job.name)"
        let sha = SHA256.hex(job.bytes)
        let expected = try #require(expected, "case \(job.name): the job passes in this process")
        #expect(expected.code == job.code, comment)

        let copies = deadLetters.filter { $0.header(ReplyHeaders.jobSHA256) == Array(sha.utf8) }
        #expect(copies.count == 1, comment)
        let copy = try #require(copies.first, comment)
        #expect(copy.key == job.key, comment)
        #expect(copy.value == job.bytes, comment)
        let message = try #require(copy.header(ReplyHeaders.errorMessage).flatMap { String(validating: $0, as: UTF8.self) }, comment)
        #expect(copy.headers == [
            KafkaHeader(name: Self.caseHeader, string: job.name),
            KafkaHeader(name: ReplyHeaders.errorCode, string: job.code.rawValue),
            KafkaHeader(name: ReplyHeaders.errorMessage, string: message),
            KafkaHeader(name: ReplyHeaders.sourceTopic, string: jobsTopic),
            KafkaHeader(name: ReplyHeaders.sourcePartition, string: String(report.partition)),
            KafkaHeader(name: ReplyHeaders.sourceOffset, string: String(report.offset)),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: sha),
        ], comment)
        #expect(message.contains(job.messageFragment), "case \(job.name): \(message)")
        // The expired message says how long ago the deadline passed, which differs by now.
        if job.code != .expired { #expect(message == expected.message, comment) }

        let answers = replies.filter { $0.header(ReplyHeaders.jobSHA256) == Array(sha.utf8) }
        guard job.replies else {
            #expect(answers.isEmpty, comment)
            return
        }
        #expect(answers.count == 1, comment)
        let answer = try #require(answers.first, comment)
        #expect(answer.key == job.replyID.map { Array($0.utf8) }, comment)
        var headers = [
            KafkaHeader(name: ReplyHeaders.contentType, string: ReplyHeaders.jsonContentType),
            KafkaHeader(name: ReplyHeaders.status, string: "error"),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: sha),
        ]
        if let id = job.replyID { headers.append(KafkaHeader(name: ReplyHeaders.jobID, string: id)) }
        #expect(answer.headers == headers, comment)
        let json = try JSONParser.parse(answer.value)
        #expect(json == .object([
            JSONMember("id", job.replyID.map { .string($0) } ?? .null),
            JSONMember("error", .object([JSONMember("code", .string(job.code.rawValue)), JSONMember("message", .string(message))])),
        ]), comment)
    }
}
