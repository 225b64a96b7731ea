/// What a job asks for; the envelope holds the job's body under a key of the same name
/// (`"teacher": {...}`). Generation requests are specified in their own issue.
public enum JobKind: String, Sendable, Equatable, CaseIterable {
    case teacher
    case generate
}
