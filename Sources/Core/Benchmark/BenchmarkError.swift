/// Why a benchmark could not be measured.
public struct BenchmarkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String

    public init(_ problem: String) {
        self.problem = problem
    }

    public var description: String { "bench: \(problem)" }
}
