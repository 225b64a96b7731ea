import Glibc
import Synchronization

/// A dedicated thread that calls `body` over and over until stopped - how a producer
/// serves its delivery-report callbacks without the caller having to poll.
final class PollingThread: Sendable {
    private final class Loop: Sendable {
        let body: @Sendable () -> Void
        let interrupt: @Sendable () -> Void
        let stopRequested = Atomic<Bool>(false)
        init(body: @escaping @Sendable () -> Void, interrupt: @escaping @Sendable () -> Void) {
            self.body = body
            self.interrupt = interrupt
        }
    }

    private let loop: Loop
    private let thread: pthread_t

    /// `body` should block for a short while (e.g. `rd_kafka_poll(rk, 100)`), which
    /// bounds how long `stopAndJoin` waits - unless `interrupt` makes a blocked `body`
    /// return at once (where a stop must not wait out a poll's timeout).
    init(interrupt: @escaping @Sendable () -> Void = {}, body: @escaping @Sendable () -> Void) {
        let loop = Loop(body: body, interrupt: interrupt)
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<Loop>.fromOpaque(argument!).takeRetainedValue()
            while !loop.stopRequested.load(ordering: .acquiring) { loop.body() }
            return nil
        }, Unmanaged.passRetained(loop).toOpaque())
        precondition(started == 0, "pthread_create failed with \(started)")
        self.loop = loop
        self.thread = thread
    }

    /// Asks the loop to stop after the current call to `body` (cut short by `interrupt`)
    /// and waits for it.
    func stopAndJoin() {
        guard !loop.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.interrupt()
        pthread_join(thread, nil)
    }
}
