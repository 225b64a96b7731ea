import Foundation
import Testing
@testable import Core

extension FaultTests {
/// A worker given SIGTERM in the middle of a job: it finishes the job, replies, commits,
/// leaves the group and exits; the other worker takes its partitions and nothing is
/// computed twice. The time from SIGTERM to exit is the grace period a deployment must
/// allow (docs/faults.md).
@Suite struct WorkerShutdown {
    @Test(.timeLimit(.minutes(4))) func aWorkerGivenSIGTERMFinishesItsJobCommitsAndLeaves() async throws {
        let clean = try await TeacherFaults.clean.value
        let directory = try TeacherEndToEndTests.workDirectory("faults-sigterm")
        let fleet = try await FaultFleet(workerCount: 2, directory: directory)
        try await fleet.waitUntilReady(within: .seconds(90))
        let replyTopic = fleet.topics.replies("faults-sigterm-\(getpid())")
        try fleet.broker.createTopic(name: replyTopic, partitions: FaultFleet.partitions)
        let options = try fleet.teacherOptions(out: directory + "/out", runID: "sigterm", jobTimeout: .seconds(20))
        let sequences = try DatasetReader.read(path: options.dataPath)
        func job(_ id: String, _ sequences: [SequenceInput]) -> TeacherJob {
            TeacherJob(id: id, replyTo: replyTopic, ref: options.ref, aligned: options.aligned, alignedSystem: options.alignedSystem,
                       lambdas: options.lambdas, topK: options.topK, sequences: sequences)
        }
        // All eight records in one job: several seconds of compute, long enough to be
        // interrupted.
        let long = job("sigterm/long", sequences), short = job("sigterm/short", [sequences[0]])
        let producer = try KafkaProducer(config: fleet.config)
        let partition: Int32 = 0
        _ = try await producer.send(topic: fleet.topics.jobs, partition: partition, key: Array(long.id.utf8), value: long.jsonBytes())

        // Whichever worker holds the partition takes the job.
        let deadline = ContinuousClock.now + .seconds(60)
        var busy: Int?
        while busy == nil {
            guard ContinuousClock.now < deadline else { Issue.record("no worker took the job"); return }
            busy = try (0..<2).first { try fleet.jobsInFlight($0) > 0 }
            if busy == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let worker = try #require(busy), other = 1 - worker
        let pid = fleet.workers.pids[worker]
        let signalled = ContinuousClock.now
        kill(pid, SIGTERM)
        while ProcessTable.isRunning(pid) && ContinuousClock.now < signalled + .seconds(60) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let exitSeconds = (ContinuousClock.now - signalled).seconds
        try #require(!ProcessTable.isRunning(pid), "the worker still ran 60 s after SIGTERM")
        let reaped = ContinuousClock.now + .seconds(5)
        while fleet.workers.runningCount > 1 && ContinuousClock.now < reaped { try await Task.sleep(for: .milliseconds(20)) }
        #expect(fleet.workers.runningCount == 1)

        // It finished the job, then stopped for the signal, with no error.
        let log = try String(contentsOfFile: fleet.workers.logPaths[worker], encoding: .utf8)
            .split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let messages = log.compactMap { $0["msg"]?.stringValue }
        let done = try #require(log.first { $0["msg"]?.stringValue == "job done" && $0["job"]?.stringValue == long.id },
                                "no 'job done' for the long job in the worker's log")
        let jobSeconds = done["seconds"]?.doubleValue ?? 0
        #expect(messages.suffix(2) == ["job done", "worker stopping"], "\(messages)")
        #expect(log.last?["reason"]?.stringValue == "SIGTERM")
        #expect(!log.contains { $0["level"]?.stringValue == "error" })

        // Its offset is committed: the group resumes after the job.
        let groupView = try KafkaConsumer(config: fleet.config, groupID: fleet.topics.workerGroup)
        defer { groupView.close() }
        #expect(try groupView.committedOffset(topic: fleet.topics.jobs, partition: partition) == 1)

        // The other worker takes the partition over: the next job on it is answered.
        let handoverStarted = ContinuousClock.now
        _ = try await producer.send(topic: fleet.topics.jobs, partition: partition, key: Array(short.id.utf8), value: short.jsonBytes())
        let replies = try TopicReader(config: fleet.config, topic: replyTopic, partitions: FaultFleet.partitions)
        try replies.read(within: .seconds(60), hopeless: fleet.allWorkersExited) { messages in
            messages.contains { $0.keyString == short.id }
        }
        let handoverSeconds = (ContinuousClock.now - handoverStarted).seconds
        // A second to let a duplicate of the long job show up, if it were to come.
        let settle = ContinuousClock.now + .seconds(1)
        try replies.read(within: .seconds(10)) { _ in ContinuousClock.now >= settle }
        let ids = replies.messages.compactMap(\.keyString)
        #expect(ids.sorted() == [long.id, short.id], "replies: \(ids)")
        let otherLog = try String(contentsOfFile: fleet.workers.logPaths[other], encoding: .utf8)
        #expect(otherLog.contains(short.id) && !otherLog.contains(long.id))

        // The long job's answer is the clean run's targets for the eight records.
        let reply = try #require(replies.messages.first { $0.keyString == long.id })
        let payloadPath = directory + "/long-reply.safetensors"
        try Data(reply.value).write(to: URL(fileURLWithPath: payloadPath))
        let served = try TeacherTargets(safetensors: SafetensorsFile(path: payloadPath))
        let cleanShard = try TeacherShard(path: clean.output.directory + "/targets-00000.safetensors")
        #expect(served.inputIDs == cleanShard.targets.inputIDs)
        #expect(served.targetIDs == cleanShard.targets.targetIDs)
        #expect(served.lambdas == cleanShard.targets.lambdas)

        print(String(format: "[faults] worker-sigterm: exited %.2f s after SIGTERM mid-job (the job took %.2f s in all); "
                     + "next job on its partition answered by the other worker %.1f s later; lost 0, duplicated 0",
                     exitSeconds, jobSeconds, handoverSeconds))
        #expect(exitSeconds < jobSeconds + 5)
    }
}

}

extension Duration {
    /// The duration in seconds, as a Double (for figures).
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
