/// What a coordinator writes onto its own run's reply topic beside the workers' replies,
/// so that the topic alone tells how far the run is (`realign status`): a `run-start`
/// record before each attempt submits its jobs, and a `sequence-failed` record for each
/// record that will get no targets. Records carry the `realign-record` header (replies
/// never do) and a JSON value; readers of replies skip them (docs/wire-formats.md,
/// "Run records").
public enum RunRecord: Sendable, Equatable {
    public struct Start: Sendable, Equatable {
        public var runID: String
        /// Records in the run's dataset: the run is complete when each has targets or a
        /// `sequence-failed` record.
        public var sequences: Int
        /// Jobs this attempt submits (a resumed attempt only submits what is missing).
        public var jobs: Int
        /// Records already covered when this attempt started (read from `--out`).
        public var alreadyDone: Int
        public var resumed: Bool
        public var startedAtMs: Int64

        public init(runID: String, sequences: Int, jobs: Int, alreadyDone: Int, resumed: Bool, startedAtMs: Int64) {
            self.runID = runID
            self.sequences = sequences
            self.jobs = jobs
            self.alreadyDone = alreadyDone
            self.resumed = resumed
            self.startedAtMs = startedAtMs
        }
    }

    /// The record's index in the dataset, its id and why it has no targets: what the
    /// manifest lists for it.
    public typealias SequenceFailed = TeacherOutputManifest.Failure

    case start(Start)
    case sequenceFailed(SequenceFailed)

    public static let header = "realign-record"

    public var kind: String {
        switch self {
        case .start: "run-start"
        case .sequenceFailed: "sequence-failed"
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .start(let start):
            .object([
                JSONMember("run_id", .string(start.runID)), JSONMember("sequences", .integer(Int64(start.sequences))),
                JSONMember("jobs", .integer(Int64(start.jobs))), JSONMember("already_done", .integer(Int64(start.alreadyDone))),
                JSONMember("resumed", .bool(start.resumed)), JSONMember("started_at_ms", .integer(start.startedAtMs)),
            ])
        case .sequenceFailed(let failed):
            .object([
                JSONMember("sequence", .integer(Int64(failed.sequence))), JSONMember("id", .string(failed.id)),
                JSONMember("code", .string(failed.code)), JSONMember("message", .string(failed.message)),
            ])
        }
    }

    /// The headers a record is produced with.
    public var headers: [KafkaHeader] {
        [KafkaHeader(name: Self.header, string: kind),
         KafkaHeader(name: ReplyHeaders.contentType, string: ReplyHeaders.jsonContentType)]
    }

    /// Whether a message of a reply topic is a run record rather than a worker's reply.
    public static func isRecord(_ message: KafkaMessage) -> Bool {
        message.header(header) != nil
    }

    /// The record in `message`; nil for a worker's reply.
    /// - Throws: `RunRecordError` for a record of unknown kind or with a malformed value.
    public static func decode(_ message: KafkaMessage) throws(RunRecordError) -> RunRecord? {
        guard let kindBytes = message.header(header) else { return nil }
        let kind = String(decoding: kindBytes, as: UTF8.self)
        func fail(_ problem: String) -> RunRecordError {
            RunRecordError(kind: kind, partition: message.partition, offset: message.offset, problem: problem)
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(message.value)
        } catch {
            throw fail("not JSON: \(error)")
        }
        func integer(_ key: String) throws(RunRecordError) -> Int64 {
            guard let value = root[key]?.integerValue, value >= 0 else { throw fail("'\(key)' is not a non-negative integer") }
            return value
        }
        func string(_ key: String) throws(RunRecordError) -> String {
            guard let value = root[key]?.stringValue else { throw fail("'\(key)' is not a string") }
            return value
        }
        switch kind {
        case "run-start":
            guard case .bool(let resumed) = root["resumed"] else { throw fail("'resumed' is not a boolean") }
            return .start(Start(runID: try string("run_id"), sequences: Int(clamping: try integer("sequences")),
                                jobs: Int(clamping: try integer("jobs")), alreadyDone: Int(clamping: try integer("already_done")),
                                resumed: resumed, startedAtMs: try integer("started_at_ms")))
        case "sequence-failed":
            return .sequenceFailed(SequenceFailed(sequence: Int(clamping: try integer("sequence")), id: try string("id"),
                                                  code: try string("code"), message: try string("message")))
        default:
            throw fail("unknown record kind")
        }
    }
}

public struct RunRecordError: Error, Sendable, CustomStringConvertible {
    public var kind: String
    public var partition: Int32
    public var offset: Int64
    public var problem: String

    public var description: String {
        "run record '\(kind)' at partition \(partition) offset \(offset): \(problem)"
    }
}
