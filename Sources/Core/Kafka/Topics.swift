/// The product's topic names under one prefix (`realign` unless `--topic-prefix`
/// says otherwise): `realign.jobs`, `realign.requests`, `realign.dlq`, and one reply
/// topic per run, `realign.replies.<run-id>`; `realign.control` carries cancels.
public struct Topics: Sendable, Equatable {
    public static let defaultPrefix = "realign"

    public let prefix: String

    public init(prefix: String = Topics.defaultPrefix) {
        self.prefix = prefix
    }

    /// Batch work (teacher jobs).
    public var jobs: String { "\(prefix).jobs" }
    /// Interactive work (generation), taken before the next batch job.
    public var requests: String { "\(prefix).requests" }
    /// Cancels of generation requests; every worker reads all of it.
    public var control: String { "\(prefix).control" }
    /// Failed jobs, for operators.
    public var dlq: String { "\(prefix).dlq" }
    /// The default consumer group of the workers serving these topics.
    public var workerGroup: String { "\(prefix)-workers" }

    /// The default reply topic of a run.
    public func replies(_ runID: String) -> String { "\(prefix).replies.\(runID)" }

    /// The topics every fleet needs (reply topics are made per run).
    public var fleetTopics: [String] { [jobs, requests, control, dlq] }

    /// Kafka's rule for topic names: 1 to 249 characters of `[a-zA-Z0-9._-]`, and not
    /// `.` or `..`.
    public static func isLegalTopicName(_ name: String) -> Bool {
        guard (1...249).contains(name.utf8.count), name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }
}
