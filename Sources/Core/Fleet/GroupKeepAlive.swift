import Dispatch
import Synchronization

/// Keeps a worker in its consumer group while one job computes for longer than
/// `max.poll.interval.ms`.
///
/// librdkafka heartbeats on a thread of its own, but a member that does not call `poll`
/// within that interval is taken out of the group: its partitions go to other members,
/// its commit fails, and the job is delivered again - and computed again, without end
/// when every attempt takes as long. So once a job has run for `startAfter` (short jobs
/// pay nothing), a thread polls: the group is served. The first message it gets is
/// kept to be handled next, and from then on every assigned partition is paused, so
/// nothing more is fetched. Holding the next message matters: librdkafka fetches a
/// resumed partition again only on its broker thread's next round, up to a second
/// later, and the worker would sit idle that long after every long job. A message
/// `poll` returns after the pause (from a partition assigned during the job, before it
/// could be paused) is kept too. When the job ends the partitions it paused are
/// resumed, from the message after the last one returned (or, those the group took away
/// meanwhile, when it gives them back).
///
/// The keep-alive of the consumer whose job it is (`reporting`) logs once, when the job
/// has run for `max.poll.interval.ms`: the moment the group would have dropped the
/// worker without it. Earlier polling is only a precaution, not worth a line a job.
enum GroupKeepAlive {
    private final class State: Sendable {
        struct Values {
            var early: [KafkaMessage] = []
            var error: KafkaError?
            var paused: Set<TopicPartition> = []
            var announced = false
        }
        let values = Mutex(Values())
        /// Signalled when the job ends: the thread's wait for `startAfter` ends with it.
        let jobEnded = DispatchSemaphore(value: 0)
    }

    /// How long one poll of the keep-alive thread waits. The end of a job does not wait
    /// it out: it interrupts the poll (the worker goes straight on to its next job).
    static let pollTimeout = Duration.milliseconds(25)

    /// Runs `work` (on the calling task) while keeping `consumer` in its group; returns
    /// the messages polled meanwhile, in the order they came.
    /// - Parameter job: the message of the job `work` runs, when it is `consumer`'s: its
    ///   keep-alive logs the job that outlasts `max.poll.interval.ms`.
    static func during(consumer: KafkaConsumer, startAfter: Duration = .seconds(1), reporting job: KafkaMessage? = nil,
                       _ work: () async throws -> Void) async throws -> [KafkaMessage] {
        let state = State()
        let started = ContinuousClock.now
        let thread = PollingThread(interrupt: {
            state.jobEnded.signal()
            consumer.interruptPoll()
        }) {
            let elapsed = ContinuousClock.now - started
            guard elapsed >= startAfter else {
                _ = state.jobEnded.wait(timeout: .now() + .nanoseconds(Int((startAfter - elapsed).inSeconds * 1e9)))
                return
            }
            guard state.values.withLock({ $0.error == nil }) else {
                _ = state.jobEnded.wait(timeout: .now() + .milliseconds(10))
                return
            }
            do {
                let (holding, announce) = state.values.withLock { values in
                    let announce = job != nil && !values.announced && elapsed >= consumer.maxPollInterval
                    if announce { values.announced = true }
                    return (!values.early.isEmpty, announce)
                }
                if announce, let job {
                    Log.info("job outlasting max.poll.interval.ms: polling keeps the worker in its group", [
                        "job": .string(job.keyString ?? ""), "partition": .integer(Int64(job.partition)),
                        "offset": .integer(job.offset), "seconds": .double(elapsed.inSeconds),
                        "max_poll_interval_ms": .integer(Int64(consumer.maxPollInterval.kafkaMilliseconds)),
                    ])
                }
                if holding {
                    // Every time: a rebalance during the job assigns partitions unpaused.
                    let assigned = try consumer.assignment()
                    try consumer.pause(assigned)
                    state.values.withLock { $0.paused.formUnion(assigned) }
                }
                if let message = try consumer.poll(timeout: pollTimeout) {
                    state.values.withLock { $0.early.append(message) }
                }
            } catch {
                state.values.withLock { $0.error = error as? KafkaError ?? .consumerClosed }
            }
        }
        do {
            try await work()
        } catch {
            thread.stopAndJoin()
            try resumeIfPaused(consumer, state)
            throw error
        }
        thread.stopAndJoin()
        try resumeIfPaused(consumer, state)
        let values = state.values.withLock { $0 }
        if let error = values.error { throw error }
        return values.early
    }

    private static func resumeIfPaused(_ consumer: KafkaConsumer, _ state: State) throws {
        let paused = state.values.withLock { $0.paused }
        guard !paused.isEmpty else { return }
        try consumer.resume(paused.sorted())
    }
}
