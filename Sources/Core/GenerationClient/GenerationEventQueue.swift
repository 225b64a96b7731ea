import Dispatch
import Synchronization

/// A request's events for a caller on a thread of its own (an HTTP connection): the
/// client's listener pushes, the caller takes with a timeout, so between events it can
/// check whether its own client is still there.
public final class GenerationEventQueue: Sendable {
    private let items = Mutex<[Result<GenerationEvent, GenerationClientError>]>([])
    private let arrived = DispatchSemaphore(value: 0)

    public init() {}

    public var listener: GenerationClient.Listener {
        { [self] result in
            items.withLock { $0.append(result) }
            arrived.signal()
        }
    }

    /// The next event, or nil when none came within `timeout`.
    public func next(timeout: Duration) -> Result<GenerationEvent, GenerationClientError>? {
        let nanoseconds = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
        guard arrived.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
        return items.withLock { $0.removeFirst() }
    }
}
