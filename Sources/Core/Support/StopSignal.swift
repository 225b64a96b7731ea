import Foundation

/// Turns SIGINT and SIGTERM into a flag that long-running loops check between units of
/// work, so a worker finishes (or hands back) its current job and leaves its group
/// cleanly instead of dying mid-reply.
public final class StopSignal: @unchecked Sendable {
    // `requested` is guarded by `lock`; the dispatch sources are created once in init.
    private let lock = NSLock()
    private var requested = false
    private var signalName: String?
    private var sources: [DispatchSourceSignal] = []
    private var handlers: [@Sendable (String) -> Void] = []

    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
            source.setEventHandler { [weak self] in self?.request(reason: name) }
            source.resume()
            sources.append(source)
        }
    }

    public var isRequested: Bool { lock.withLock { requested } }
    public var reason: String? { lock.withLock { signalName } }

    /// Asks the loop to stop (also used when the parent process is gone).
    public func request(reason: String) {
        let toRun: [@Sendable (String) -> Void] = lock.withLock {
            guard !requested else { return [] }
            requested = true
            signalName = reason
            return handlers
        }
        toRun.forEach { $0(reason) }
    }

    /// Runs `handler` once when a stop is requested.
    public func onStop(_ handler: @escaping @Sendable (String) -> Void) {
        lock.withLock { handlers.append(handler) }
    }
}
