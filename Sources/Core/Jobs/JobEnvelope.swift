/// The fields every job shares, read before its kind-specific body.
public struct JobEnvelope: Sendable, Equatable {
    public var id: String
    public var kind: JobKind
    public var replyTo: String
    /// Absolute Unix time in milliseconds; 0 means no deadline.
    public var deadlineMs: Int64
    /// The object under the key named by `kind`.
    public var body: JSONValue
}
