import Foundation
import Synchronization
import Testing
@testable import Core

extension FaultTests {
/// Load: 2 worker processes, 1,000 small teacher jobs (six pre-tokenized tokens each)
/// from 4 producers submitting at once at a steady rate. The workers serve the tiny
/// Qwen2 fixture (256 tokens), so that the figures are the fleet's own overhead (Kafka,
/// the job's decoding and reply, the commit) rather than a model's compute. Every job must be answered
/// exactly once (by id, with its own job hash), within a bounded time; the job latency
/// (submit to reply received) is printed as a `[faults] load` line and written to
/// `load.json` in the test's directory.
@Suite struct FleetLoad {
    static let jobCount = 1000
    static let producerCount = 4
    /// Jobs a second from all producers together: below what two single-threaded
    /// workers answer on a loaded 2-core machine, so latency measures the fleet, not a
    /// growing queue.
    static let offeredRate = 25.0

    /// What the reply reader saw: the first arrival of each job id, and how many
    /// replies came for each.
    final class Arrivals: Sendable {
        private let state = Mutex<(first: [String: ContinuousClock.Instant], replies: [String: Int], wrongHash: [String])>(([:], [:], []))

        func record(id: String, sha256: String, expected: String?) {
            state.withLock { state in
                state.replies[id, default: 0] += 1
                if state.first[id] == nil { state.first[id] = .now }
                if sha256 != expected { state.wrongHash.append(id) }
            }
        }

        var snapshot: (first: [String: ContinuousClock.Instant], replies: [String: Int], wrongHash: [String]) { state.withLock { $0 } }
    }

    /// A tiny job: six tokens, two of prompt, one lambda, top 4.
    static func job(_ id: String, ordinal: Int, replyTo: String) -> TeacherJob {
        let ids = (0..<6).map { Int32(1 + (ordinal * 7 + $0 * 131) % 250) }
        return TeacherJob(id: id, replyTo: replyTo, ref: "tiny", aligned: "tiny", lambdas: [2.0], topK: 4,
                          sequences: [.tokens(id: "0", inputIDs: ids, promptLen: 2)])
    }

    @Test(.timeLimit(.minutes(5))) func twoWorkersAnswerAThousandJobsFromFourProducersExactlyOnce() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("faults-load")
        let model = try ByteTokenizerModelDirectory.make(at: directory + "/tiny-qwen2")
        let fleet = try await FaultFleet(workerCount: 2, directory: directory, models: [("tiny", model)])
        try await fleet.waitUntilReady(within: .seconds(90))
        let replyTopic = fleet.topics.replies("faults-load-\(getpid())")
        try fleet.broker.createTopic(name: replyTopic, partitions: FaultFleet.partitions)

        var jobs: [(producer: Int, id: String, bytes: [UInt8])] = []
        for producer in 0..<Self.producerCount {
            for index in 0..<(Self.jobCount / Self.producerCount) {
                let id = "load/\(producer)/\(TeacherRun.pad(index))"
                jobs.append((producer, id, Self.job(id, ordinal: jobs.count, replyTo: replyTopic).jsonBytes()))
            }
        }
        let hashes = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, SHA256.hex($0.bytes)) })

        // Warm-up, not counted: one job per partition, so both workers hold their
        // partitions and have run the model once.
        let warmUpProducer = try KafkaProducer(config: fleet.config)
        let warmUpIDs = (0..<FaultFleet.partitions).map { "warm-up/\($0)" }
        for (partition, id) in warmUpIDs.enumerated() {
            _ = try await warmUpProducer.send(topic: fleet.topics.jobs, partition: Int32(partition), key: Array(id.utf8),
                                              value: Self.job(id, ordinal: partition, replyTo: replyTopic).jsonBytes())
        }

        let arrivals = Arrivals()
        let reading = DoneFlag()
        let config = fleet.config
        // A thread of its own (`blocking`): a poll loop on the cooperative pool would hold
        // one of its two threads for the whole test.
        let reader = Task {
            try await blocking {
                let consumer = try KafkaConsumer(config: config)
                defer { consumer.close() }
                try consumer.assign(topic: replyTopic, partitions: (0..<Int32(FaultFleet.partitions)).map { $0 })
                while !reading.isSet {
                    guard let message = try consumer.poll(timeout: .milliseconds(50)), let id = message.keyString else { continue }
                    let sha = message.header(ReplyHeaders.jobSHA256).map { String(decoding: $0, as: UTF8.self) } ?? ""
                    let failed = message.header(ReplyHeaders.status).map { String(decoding: $0, as: UTF8.self) } == "error"
                    arrivals.record(id: id, sha256: failed ? "error" : sha, expected: id.hasPrefix("warm-up/") ? sha : hashes[id])
                }
            }
        }
        defer { reading.set() }
        let warmUpDeadline = ContinuousClock.now + .seconds(60)
        while !warmUpIDs.allSatisfy({ arrivals.snapshot.first[$0] != nil }) {
            guard ContinuousClock.now < warmUpDeadline, fleet.allWorkersExited() == nil else {
                Issue.record("the warm-up jobs were not answered; \(fleet.allWorkersExited() ?? "")")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }

        // Four producers, each its own client, each at a quarter of the rate.
        let started = ContinuousClock.now
        let interval = Duration.seconds(Double(Self.producerCount) / Self.offeredRate)
        let submitted = try await withThrowingTaskGroup(of: [String: ContinuousClock.Instant].self) { group in
            for producer in 0..<Self.producerCount {
                let own = jobs.filter { $0.producer == producer }
                let topic = fleet.topics.jobs
                group.addTask {
                    let client = try KafkaProducer(config: config)
                    var times: [String: ContinuousClock.Instant] = [:]
                    // Staggered, so that the four do not submit in the same instant.
                    let first = started + interval * (Double(producer) / Double(Self.producerCount))
                    for (index, job) in own.enumerated() {
                        try await Task.sleep(until: first + interval * index, clock: .continuous)
                        times[job.id] = .now
                        _ = try await client.send(topic: topic, key: Array(job.id.utf8), value: job.bytes)
                    }
                    return times
                }
            }
            var all: [String: ContinuousClock.Instant] = [:]
            for try await times in group { all.merge(times) { first, _ in first } }
            return all
        }
        let submittedSeconds = (ContinuousClock.now - started).seconds

        let deadline = ContinuousClock.now + .seconds(120)
        while arrivals.snapshot.first.count < Self.jobCount + warmUpIDs.count {
            guard ContinuousClock.now < deadline, fleet.allWorkersExited() == nil else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let answeredSeconds = (ContinuousClock.now - started).seconds
        // A second for duplicates, were any to come.
        try await Task.sleep(for: .seconds(1))
        reading.set()
        try await reader.value
        let seen = arrivals.snapshot

        let answered = Set(seen.first.keys).subtracting(warmUpIDs)
        #expect(answered == Set(submitted.keys), "\(Set(submitted.keys).subtracting(answered).count) job(s) unanswered")
        // A warm-up job may be answered twice: its worker's commit can be refused while
        // the second worker joins the group (REBALANCE_IN_PROGRESS), and the job goes to
        // the other worker (at-least-once). The load jobs come after the group settled.
        let duplicated = seen.replies.filter { !$0.key.hasPrefix("warm-up/") && $0.value > 1 }
        #expect(duplicated.isEmpty, "load jobs answered more than once: \(duplicated.sorted { $0.key < $1.key }.prefix(5))")
        #expect(seen.wrongHash.isEmpty, "replies with an error or another job's hash: \(seen.wrongHash.prefix(5))")

        let latencies = submitted.compactMap { id, sent in seen.first[id].map { ($0 - sent).seconds * 1000 } }.sorted()
        try #require(latencies.count == Self.jobCount)
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p / 100 * Double(latencies.count)).rounded(.up)) - 1)] }
        let (p50, p90, p99, maximum) = (percentile(50), percentile(90), percentile(99), latencies.last!)
        let throughput = Double(Self.jobCount) / answeredSeconds
        let figures = String(format: "[faults] load: %d jobs from %d producers at %.0f jobs/s to 2 workers: all answered once in %.1f s "
                             + "(submitted in %.1f s, %.1f jobs/s); latency p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms",
                             Self.jobCount, Self.producerCount, Self.offeredRate, answeredSeconds, submittedSeconds, throughput,
                             p50, p90, p99, maximum)
        print(figures)
        let record = JSONValue.object([
            JSONMember("jobs", .integer(Int64(Self.jobCount))), JSONMember("producers", .integer(Int64(Self.producerCount))),
            JSONMember("offered_jobs_per_second", .double(Self.offeredRate)), JSONMember("answered_seconds", .double(answeredSeconds)),
            JSONMember("latency_ms", .object([JSONMember("p50", .double(p50)), JSONMember("p90", .double(p90)),
                                              JSONMember("p99", .double(p99)), JSONMember("max", .double(maximum))])),
        ])
        try Data(record.jsonBytes).write(to: URL(fileURLWithPath: directory + "/load.json"))
        #expect(answeredSeconds < 150)
    }
}
}
