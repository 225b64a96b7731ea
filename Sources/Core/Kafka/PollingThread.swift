import Glibc
import Synchronization

/// A dedicated thread that calls `body` over and over until stopped - how a producer
/// serves its delivery-report callbacks without the caller having to poll.
final class PollingThread: Sendable {
    private final class Loop: Sendable {
        let body: @Sendable () -> Void
        let stopRequested = Atomic<Bool>(false)
        init(body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let loop: Loop
    private let thread: pthread_t

    /// `body` should block for a short while (e.g. `rd_kafka_poll(rk, 100)`), which
    /// bounds how long `stopAndJoin` waits.
    init(body: @escaping @Sendable () -> Void) {
        let loop = Loop(body: body)
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

    /// Asks the loop to stop after the current call to `body` and waits for it.
    func stopAndJoin() {
        guard !loop.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pthread_join(thread, nil)
    }
}
