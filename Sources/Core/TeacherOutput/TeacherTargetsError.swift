/// Teacher targets whose tensors or metadata do not fit together.
public struct TeacherTargetsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file or job the targets came from, when known.
    public var source: String?
    public var problem: String

    public init(source: String? = nil, _ problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String {
        (source.map { "\($0): " } ?? "") + "invalid teacher targets: \(problem)"
    }
}
