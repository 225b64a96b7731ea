import CSpinWait
import Glibc
import Synchronization

/// Threads that stay alive and take `ParallelLoop`'s iterations, as llama.cpp's thread
/// pool does. A decode step runs about ten parallel loops a layer, each only tens of
/// microseconds long; waking a sleeping thread for each (as Dispatch does) costs about
/// as much as the loop. So a pool thread spins on the job counter for `spinDuration`
/// after a loop before it sleeps: the next loop of the step finds it awake. It sleeps
/// soon enough not to take a core from OpenBLAS's own threads during a long product.
///
/// One caller at a time: `run` returns false when another loop holds the pool (a loop
/// started from another thread, or from inside a loop's body), and the caller runs the
/// iterations some other way.
final class ComputePool: @unchecked Sendable {
    // @unchecked: `body` and `count` are written by the one caller holding `busy`
    // before it publishes the job in `job`, and read only by the job's participants,
    // after they acquire it and before they report it finished; `threadCount` is used
    // only under `busy`.
    static let shared = ComputePool()

    /// How long a pool thread spins after a loop before it sleeps.
    static let spinDuration = Duration.microseconds(50)

    private let busy = Atomic<Bool>(false)
    /// The current job: a sequence number and its participant count, in one word so a
    /// pool thread reads both in one load.
    private let job = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = SleepSignal()
    private var body: ((Int) -> Void)?
    private var count = 0
    private var threadCount = 0

    /// Calls `body(i)` for every `i` in `0..<count`, on `participants` threads (the
    /// caller and `participants − 1` pool threads): participant `p` takes `p, p +
    /// participants, …`. Returns false, having run nothing, when the pool is busy.
    func run(count: Int, participants: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while threadCount < participants - 1 {
            threadCount += 1
            startThread(participant: threadCount)
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.count = count
            unfinished.store(participants - 1, ordering: .relaxed)
            let sequence = Job(job.load(ordering: .relaxed)).sequence &+ 1
            job.store(Job(sequence: sequence, participants: participants).word, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 { wake.broadcast() }
            iterate(participant: 0, of: participants)
            while unfinished.load(ordering: .acquiring) > 0 { spin_wait_hint() }
            self.body = nil
        }
        return true
    }

    private func iterate(participant: Int, of participants: Int) {
        guard let body else { return }
        let count = self.count
        var index = participant
        while index < count {
            body(index)
            index += participants
        }
    }

    private struct Job {
        var sequence: Int
        var participants: Int
        init(sequence: Int, participants: Int) {
            self.sequence = sequence
            self.participants = participants
        }
        init(_ word: Int) { self.init(sequence: word >> 16, participants: word & 0xFFFF) }
        var word: Int { sequence << 16 | participants }
    }

    private func startThread(participant: Int) {
        var thread = pthread_t()
        // The job it has seen is the current one, read now: the thread may first run
        // after the next job is published, and must take part in it.
        let context = Unmanaged.passRetained(PoolThread(pool: self, participant: participant,
                                                        seen: job.load(ordering: .relaxed))).toOpaque()
        let started = pthread_create(&thread, nil, { argument in
            let thread = Unmanaged<PoolThread>.fromOpaque(argument!).takeRetainedValue()
            thread.pool.serve(participant: thread.participant, after: thread.seen)
        }, context)
        precondition(started == 0, "pthread_create failed with \(started)")
        pthread_detach(thread)
    }

    private final class PoolThread {
        let pool: ComputePool
        let participant: Int
        let seen: Int
        init(pool: ComputePool, participant: Int, seen: Int) {
            self.pool = pool
            self.participant = participant
            self.seen = seen
        }
    }

    /// A pool thread's life: wait for the next job, take its share if it is one of the
    /// job's participants, report it finished.
    private func serve(participant: Int, after job: Int) -> Never {
        var seen = job
        while true {
            seen = nextJob(after: seen)
            let participants = Job(seen).participants
            if participant < participants {
                iterate(participant: participant, of: participants)
                unfinished.subtract(1, ordering: .releasing)
            }
        }
    }

    private func nextJob(after seen: Int) -> Int {
        let spinUntil = ContinuousClock.now + Self.spinDuration
        var spins = 0
        while true {
            let current = job.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            if spins % 64 == 0, ContinuousClock.now > spinUntil { break }
            spin_wait_hint()
        }
        sleepers.add(1, ordering: .sequentiallyConsistent)
        wake.wait { self.job.load(ordering: .sequentiallyConsistent) == seen }
        sleepers.subtract(1, ordering: .relaxed)
        return job.load(ordering: .acquiring)
    }
}

/// A condition variable and its mutex: where pool threads sleep between bursts of work.
private final class SleepSignal: @unchecked Sendable {
    // @unchecked: the pthread objects are only used through their own locking calls.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Sleeps while `stillWaiting()` holds, checked under the mutex (so a broadcast made
    /// after the condition changed is never missed).
    func wait(while stillWaiting: () -> Bool) {
        pthread_mutex_lock(mutex)
        while stillWaiting() { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
