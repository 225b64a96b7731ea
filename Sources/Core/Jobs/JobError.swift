/// Why a job failed, with the job's `id` and `reply_to` when they could be read, so the
/// worker can still send an error reply for a job that fails validation.
public struct JobError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: JobErrorCode
    public var message: String
    public var jobID: String?
    /// Set only when it is a legal topic name, so a worker can always produce to it.
    public var replyTo: String?

    public init(_ code: JobErrorCode, _ message: String, jobID: String? = nil, replyTo: String? = nil) {
        self.code = code
        self.message = message
        self.jobID = jobID
        self.replyTo = replyTo
    }

    public var description: String {
        let job = jobID.map { " (job \($0))" } ?? ""
        return "\(code.rawValue)\(job): \(message)"
    }
}
