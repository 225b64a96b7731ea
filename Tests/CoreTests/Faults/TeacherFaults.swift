import Foundation
import Testing
@testable import Core

extension FaultTests {
/// Teacher runs under the faults a production Kafka fleet meets: a worker killed, the
/// coordinator killed, the broker down, request errors, a slow broker, moving leaders.
/// Each run is 2 worker processes and the eight end-to-end records, one record a job,
/// on a broker this test process hosts (`FaultFleet`); each must end with the clean
/// run's shard bytes, every record saved once, within a bounded time.
@Suite struct TeacherFaults {
    /// The run every fault run is compared with: the same fleet and jobs, no fault.
    static let clean = Task { () async throws -> FaultRun in
        let fleet = try await FaultFleet(workerCount: 2, directory: try TeacherEndToEndTests.workDirectory("faults-clean"))
        let run = try await fleet.runTeacher("clean")
        run.report(clean: nil)
        let shard = try TeacherShard(path: run.output.directory + "/targets-00000.safetensors")
        try shard.checkWellFormed(sequenceIDs: TeacherEndToEndTests.sequenceIDs,
                                  lambdaTags: TeacherEndToEndTests.lambdaTags, topK: TeacherEndToEndTests.topK)
        #expect(run.replies.jobs == 8)
        return run
    }

    /// How much longer than the clean run a fault run may take: the fault's own length,
    /// a session timeout (6 s) and a rebalance or two, with room for a loaded machine.
    static let allowance = 45.0

    // MARK: - Workers

    @Test(.timeLimit(.minutes(4))) func aWorkerKilledMidJobLosesNothing() async throws {
        let clean = try await Self.clean.value
        let fleet = try await FaultFleet(workerCount: 2, directory: try TeacherEndToEndTests.workDirectory("faults-worker-kill"))
        let victim = fleet.workers.pids[0]
        let run = try await fleet.runTeacher("worker-sigkill") { progress in
            try progress.waitForParts(1, within: .seconds(120))
            try fleet.waitUntilBusy(0, within: .seconds(30))
            kill(victim, SIGKILL)
            return .instant()
        }
        run.report(clean: clean)
        run.expectSameOutput(as: clean)
        #expect(run.partsBeforeFault < 8)
        #expect(fleet.workers.runningCount == 1, "the other worker should still serve")
        // The killed worker's job was in flight: it is answered by the other one.
        let killedLog = try String(contentsOfFile: fleet.workers.logPaths[0], encoding: .utf8)
        let doneByKilled = killedLog.split(separator: "\n").filter { $0.contains(#""msg":"job done""#) }.count
        #expect(doneByKilled < 8)
        #expect(run.seconds < clean.seconds + Self.allowance)
    }

    // MARK: - The coordinator

    /// The coordinator (`realign teacher --brokers`, a process) is killed while the
    /// workers and the broker live on and keep answering; `--resume` picks up the saved
    /// parts and the replies that came while it was gone, and the duplicates its
    /// resubmission causes are dropped.
    @Test(.timeLimit(.minutes(5))) func aKilledCoordinatorResumesOnTheSameBroker() async throws {
        let clean = try await Self.clean.value
        let directory = try TeacherEndToEndTests.workDirectory("faults-coordinator-kill")
        let fleet = try await FaultFleet(workerCount: 2, directory: directory)
        let data = directory + "/data.json", out = directory + "/out", runID = "faults-coordinator-\(getpid())"
        try TeacherEndToEndTests.writeDataset(TeacherEndToEndTests.records.map(TeacherEndToEndTests.alpaca), to: data)
        var arguments = TeacherEndToEndTests.teacherArguments(data: data, out: out)
            + ["--brokers", fleet.broker.bootstrapServers, "--job-tokens", "1", "--run-id", runID, "--job-timeout", "20"]
        for (key, value) in EmbeddedFleet.workerProperties.sorted(by: { $0.key < $1.key }) { arguments += ["-X", "\(key)=\(value)"] }

        let interrupted = try RealignProcess(arguments, outputPrefix: directory + "/interrupted")
        let progress = TeacherProgress(out: out, isDone: { !interrupted.process.isRunning }, hopeless: { nil })
        try await onThread { try progress.waitForParts(1, within: .seconds(150)) }
        kill(interrupted.pid, SIGKILL)
        let killed = try await interrupted.wait(timeout: .seconds(30))
        let killedAt = Date()
        #expect(killed.exitCode == SIGKILL && interrupted.process.terminationReason == .uncaughtSignal)
        let partsAtKill = progress.partCount
        try #require(partsAtKill >= 1 && partsAtKill < 8, "\(partsAtKill) parts at the kill")
        // The workers go on answering the submitted jobs into the reply topic.
        try await Task.sleep(for: .seconds(3))

        let resumed = try await RealignProcess.run(arguments + ["--resume"], outputPrefix: directory + "/resumed",
                                                   timeout: .seconds(150))
        try #require(resumed.exitCode == 0, "\(resumed.transcript)")
        #expect(resumed.stderr.contains(#""done":\#(partsAtKill),"#), "\(resumed.stderr)")
        let output = try TeacherEndToEndTests.finishedRun(out)
        #expect(output.manifest.runID == runID)
        let arrivals = TeacherProgress.arrivals(out: out)
        FaultRun.expectSameOutput("coordinator-sigkill", output: output, parts: arrivals.map(\.sequences), as: clean)
        let replies = try ReplyTally(config: fleet.config, topic: fleet.topics.replies(runID), jobs: 8)
        #expect(replies.jobs == 8)
        let afterKill = arrivals.first { $0.at >= killedAt }.map { $0.at.timeIntervalSince(killedAt) } ?? -1
        print(String(format: "[faults] coordinator-sigkill: killed after %.1f s with %d of 8 parts; resumed run %.1f s, "
                     + "first part %.1f s after the kill (3 s of it with no coordinator); "
                     + "%d replies for %d jobs (%d redelivered), lost 0, duplicated 0",
                     killed.seconds, partsAtKill, resumed.seconds, afterKill, replies.messages, replies.jobs, replies.redelivered))
    }

    // MARK: - The broker

    @Test(.timeLimit(.minutes(4))) func theBrokerDownForEightSecondsLosesNothing() async throws {
        let clean = try await Self.clean.value
        let fleet = try await FaultFleet(workerCount: 2, directory: try TeacherEndToEndTests.workDirectory("faults-broker-down"))
        let run = try await fleet.runTeacher("broker-down-8s") { progress in
            try progress.waitForParts(1, within: .seconds(120))
            let start = Date()
            try fleet.broker.setBrokerDown(1)
            Thread.sleep(forTimeInterval: 8)
            try fleet.broker.setBrokerUp(1)
            return FaultWindow(start: start, end: Date())
        }
        run.report(clean: clean)
        run.expectSameOutput(as: clean)
        #expect(run.partsBeforeFault < 8)
        let recovery = run.recoverySeconds ?? .infinity
        #expect(recovery < 30, "no part within 30 s of the broker coming back")
        #expect(run.seconds < clean.seconds + 8 + Self.allowance)
    }

    /// Errors the broker answers requests of one type with, in order.
    struct RequestErrors: Sendable, CustomTestStringConvertible {
        var name: String
        var apiKey: KafkaAPIKey
        var errors: [KafkaErrorCode]
        /// Pushed before the workers join the group (JoinGroup), else once the first
        /// part is saved, with every job submitted and replies flowing.
        var beforeWorkersStart = false

        var testDescription: String { name }
    }

    static let requestErrors: [RequestErrors] = [
        .init(name: "produce", apiKey: .produce,
              errors: Array(repeating: [.notLeaderForPartition, .leaderNotAvailable, .notEnoughReplicas, .requestTimedOut], count: 2).flatMap { $0 }),
        .init(name: "fetch", apiKey: .fetch,
              errors: Array(repeating: [.notLeaderForPartition, .leaderNotAvailable, .requestTimedOut], count: 4).flatMap { $0 }),
        .init(name: "offset-commit", apiKey: .offsetCommit,
              errors: [.coordinatorNotAvailable, .notCoordinator, .requestTimedOut, .rebalanceInProgress]),
        .init(name: "join-group", apiKey: .joinGroup,
              errors: [.coordinatorNotAvailable, .coordinatorLoadInProgress, .notCoordinator, .coordinatorNotAvailable],
              beforeWorkersStart: true),
    ]

    @Test(.timeLimit(.minutes(4)), arguments: requestErrors)
    func injectedRequestErrorsLoseNothing(_ injected: RequestErrors) async throws {
        let clean = try await Self.clean.value
        let fleet = try await FaultFleet(workerCount: 2, directory: try TeacherEndToEndTests.workDirectory("faults-errors-\(injected.name)")) { broker in
            if injected.beforeWorkersStart { broker.pushRequestErrors(apiKey: injected.apiKey, errors: injected.errors) }
        }
        defer { fleet.broker.clearRequestErrors(apiKey: injected.apiKey) }
        let run = try await fleet.runTeacher("errors-\(injected.name)") { progress in
            if injected.beforeWorkersStart { return .instant() }
            try progress.waitForParts(1, within: .seconds(120))
            fleet.broker.pushRequestErrors(apiKey: injected.apiKey, errors: injected.errors)
            return .instant()
        }
        run.report(clean: clean)
        run.expectSameOutput(as: clean)
        let warnings = try fleet.workers.logPaths.map { try String(contentsOfFile: $0, encoding: .utf8) }
            .joined().split(separator: "\n").filter { $0.contains(#""level":"warn""#) }
        let commitFailures = warnings.filter { $0.contains("commit failed") }.count
        print("[faults] errors-\(injected.name): \(injected.errors.count) \(injected.name) errors injected; worker warnings: "
              + "\(warnings.count), of them commit failures: \(commitFailures)")
        #expect(run.seconds < clean.seconds + Self.allowance)
    }

    @Test(.timeLimit(.minutes(4))) func aSlowBrokerLosesNothing() async throws {
        let clean = try await Self.clean.value
        let fleet = try await FaultFleet(workerCount: 2, directory: try TeacherEndToEndTests.workDirectory("faults-slow-broker")) { broker in
            try broker.setRTT(broker: 1, milliseconds: 200)
        }
        let run = try await fleet.runTeacher("rtt-200ms")
        run.report(clean: clean)
        run.expectSameOutput(as: clean)
        #expect(run.seconds < clean.seconds + Self.allowance)
    }

    /// Two brokers, every topic on both; mid-run the leaders of all the jobs and reply
    /// partitions and the workers' group coordinator move to the other broker.
    @Test(.timeLimit(.minutes(4))) func movingLeadersLoseNothing() async throws {
        let clean = try await Self.clean.value
        let fleet = try await FaultFleet(workerCount: 2, brokerCount: 2,
                                         directory: try TeacherEndToEndTests.workDirectory("faults-leaders"))
        let label = "leader-move"
        let replyTopic = fleet.topics.replies("faults-\(label)-\(getpid())")
        let run = try await fleet.runTeacher(label) { progress in
            try progress.waitForParts(1, within: .seconds(120))
            for topic in [fleet.topics.jobs, replyTopic] {
                for partition in 0..<Int32(FaultFleet.partitions) {
                    try fleet.broker.setPartitionLeader(topic: topic, partition: partition, broker: 2)
                }
            }
            try fleet.broker.setGroupCoordinator(group: fleet.topics.workerGroup, broker: 2)
            return .instant()
        }
        run.report(clean: clean)
        run.expectSameOutput(as: clean)
        #expect(run.seconds < clean.seconds + Self.allowance)
    }
}
}
