import Foundation

/// Runs blocking work (a Kafka poll loop, a socket read) on a thread of its own and
/// awaits it, so tests never hold one of the few threads of Swift's cooperative pool
/// that the client's sends (and the other suites) need.
func blocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}
