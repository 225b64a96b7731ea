/// Why a generation request ended without a final message.
public enum GenerationClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The worker answered with an error reply.
    case failed(GenerateReply.Failure)
    /// No reply came within the timeout, after this many submissions.
    case noReply(id: String, submissions: Int, secondsEach: Double)
    /// The request could not be produced to the request topic.
    case submitFailed(id: String, reason: String)
    /// The fleet is gone (e.g. every embedded worker exited), or the client was closed.
    case unavailable(String)

    public var description: String {
        switch self {
        case .failed(let failure): "the worker refused the request: \(failure)"
        case .noReply(let id, let submissions, let seconds):
            "request \(id): no reply after \(submissions) submission(s) of \(Int(seconds)) s each"
        case .submitFailed(let id, let reason): "request \(id) could not be submitted: \(reason)"
        case .unavailable(let reason): "the fleet is unavailable: \(reason)"
        }
    }
}
