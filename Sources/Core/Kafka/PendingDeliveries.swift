import Synchronization

/// The sends waiting for their delivery report, keyed by the number passed to
/// librdkafka as the message's opaque pointer (so the delivery callback, which cannot
/// capture anything, finds the continuation to resume).
final class PendingDeliveries: Sendable {
    typealias Continuation = CheckedContinuation<DeliveryReport, any Error>

    private struct State {
        var nextID: UInt = 1
        var waiting: [UInt: Continuation] = [:]
    }

    private let state = Mutex(State())

    /// Registers a continuation and returns its (non-zero) message id.
    func register(_ continuation: Continuation) -> UInt {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.waiting[id] = continuation
            return id
        }
    }

    /// Removes and returns the continuation of a message id, if it is still waiting.
    func take(_ id: UInt) -> Continuation? {
        state.withLock { state in state.waiting.removeValue(forKey: id) }
    }

    var count: Int { state.withLock { $0.waiting.count } }
}
