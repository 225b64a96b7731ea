/// A dataset file that cannot be read, naming the file, the record (0-based, the same
/// number a record's default id has) and, for JSONL, its line.
public struct DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var record: Int?
    public var line: Int?
    public var problem: String

    public init(path: String, record: Int? = nil, line: Int? = nil, problem: String) {
        self.path = path
        self.record = record
        self.line = line
        self.problem = problem
    }

    public var description: String {
        var place = path
        if let record { place += ": record \(record)" }
        if let line { place += " (line \(line))" }
        return "\(place): \(problem)"
    }
}
