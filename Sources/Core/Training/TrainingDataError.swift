/// Why training sequences could not be read: which file or record, and what was wrong.
public struct TrainingDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}
