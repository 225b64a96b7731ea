import Foundation

/// How far a teacher run is, as its reply topic tells it: the coordinator's run records
/// (`RunRecord`) give the run's size and failed records, the workers' replies the
/// sequences and tokens done. Replies count once per job id (the first one, as the
/// coordinator counts them) and sequences once per sequence id, so redelivered jobs and
/// resumed attempts are not counted twice.
public struct RunStatus: Sendable {
    public let runID: String
    /// The latest attempt's run-start record; nil when none was read (the run has not
    /// started, or was started by a coordinator without run records).
    public private(set) var start: RunRecord.Start?
    public private(set) var attempts = 0
    /// Distinct job ids answered, with targets or with an error.
    public private(set) var jobsAnswered = 0
    /// Error replies by error code (distinct job ids).
    public private(set) var errors: [String: Int] = [:]
    /// Replies whose payload could not be read.
    public private(set) var unreadableReplies = 0
    /// Records that will get no targets, by dataset index.
    public private(set) var failures: [Int: RunRecord.SequenceFailed] = [:]
    /// Consumer lag of the worker group on the job topic (all runs'), by partition; nil
    /// when it was not asked.
    public var workerLag: [Int32: Int64]?

    private var answeredJobIDs = Set<String>()
    private var tokensBySequence: [String: Int] = [:]

    public init(runID: String) {
        self.runID = runID
    }

    public var sequencesDone: Int { tokensBySequence.count }
    public var tokensDone: Int { tokensBySequence.values.reduce(0, +) }
    /// Records that failed and have no targets (a record that failed in one attempt and
    /// got targets in another counts as done).
    public var sequencesFailed: Int { failures.values.filter { tokensBySequence[$0.id] == nil }.count }

    /// True when every record of the dataset has targets or has failed.
    public var isComplete: Bool {
        guard let start else { return false }
        return sequencesDone + sequencesFailed >= start.sequences
    }

    /// Takes one message of the reply topic into account.
    public mutating func add(_ message: KafkaMessage) throws(RunRecordError) {
        switch try RunRecord.decode(message) {
        case .start(let record)?:
            attempts += 1
            if start == nil || record.startedAtMs >= start!.startedAtMs { start = record }
        case .sequenceFailed(let record)?:
            failures[record.sequence] = record
        case nil:
            addReply(message)
        }
    }

    private mutating func addReply(_ message: KafkaMessage) {
        guard let jobID = message.header(ReplyHeaders.jobID).flatMap({ String(validating: $0, as: UTF8.self) }) ?? message.keyString,
              answeredJobIDs.insert(jobID).inserted else { return }
        jobsAnswered += 1
        if message.header(ReplyHeaders.status).map({ String(decoding: $0, as: UTF8.self) }) == "error" {
            let code = (try? ErrorReply.decode(message.value))?.code.rawValue ?? "unreadable"
            errors[code, default: 0] += 1
            return
        }
        guard let sequences = Self.sequenceTokens(message.value) else {
            unreadableReplies += 1
            return
        }
        for (id, tokens) in sequences { tokensBySequence[id] = tokens }
    }

    /// The sequence ids of a teacher reply with each one's token count, read from the
    /// safetensors header and `input_offsets` alone.
    static func sequenceTokens(_ payload: [UInt8]) -> [(String, Int)]? {
        guard let file = try? SafetensorsFile(file: MappedFile(path: "reply", bytes: payload)),
              let metadata = try? TeacherTargetsMetadata(safetensorsMetadata: file.metadata),
              let offsets = try? file.int64s("input_offsets"),
              offsets.count == metadata.sequenceIDs.count + 1 else { return nil }
        return metadata.sequenceIDs.enumerated().map { ($1, Int(offsets[$0 + 1] - offsets[$0])) }
    }

    public var jsonValue: JSONValue {
        var members = [
            JSONMember("run_id", .string(runID)),
            JSONMember("complete", .bool(isComplete)),
            JSONMember("sequences", start.map { .integer(Int64($0.sequences)) } ?? .null),
            JSONMember("sequences_done", .integer(Int64(sequencesDone))),
            JSONMember("sequences_failed", .integer(Int64(sequencesFailed))),
            JSONMember("tokens_done", .integer(Int64(tokensDone))),
            JSONMember("jobs_answered", .integer(Int64(jobsAnswered))),
            JSONMember("jobs_submitted_last_attempt", start.map { .integer(Int64($0.jobs)) } ?? .null),
            JSONMember("attempts", .integer(Int64(attempts))),
            JSONMember("errors", .object(errors.keys.sorted().map { JSONMember($0, .integer(Int64(errors[$0]!))) })),
            JSONMember("unreadable_replies", .integer(Int64(unreadableReplies))),
        ]
        if let workerLag {
            members.append(JSONMember("worker_lag", .integer(workerLag.values.reduce(0, +))))
            members.append(JSONMember("worker_lag_by_partition", .object(workerLag.keys.sorted().map {
                JSONMember(String($0), .integer(workerLag[$0]!))
            })))
        }
        return .object(members)
    }

    /// A few lines for a terminal.
    public var text: String {
        var lines = ["run \(runID): " + (isComplete ? "complete" : start == nil ? "not started (no run-start record yet)" : "in progress")]
        if let start {
            let percent = start.sequences > 0 ? 100 * Double(sequencesDone + sequencesFailed) / Double(start.sequences) : 100
            lines.append(String(format: "  sequences: %d of %d done, %d failed (%.1f%%)", sequencesDone, start.sequences, sequencesFailed, percent))
            lines.append("  attempts: \(attempts) (the last submitted \(start.jobs) jobs)")
        } else {
            lines.append("  sequences: \(sequencesDone) done, \(sequencesFailed) failed")
        }
        lines.append("  tokens: \(tokensDone)")
        lines.append("  job replies: \(jobsAnswered)" + (errors.isEmpty ? "" : ", errors: " + errors.keys.sorted().map { "\($0) \(errors[$0]!)" }.joined(separator: ", ")))
        if unreadableReplies > 0 { lines.append("  unreadable replies: \(unreadableReplies)") }
        if let workerLag {
            lines.append("  worker group lag on the job topic (all runs): \(workerLag.values.reduce(0, +)) jobs")
        }
        return lines.joined(separator: "\n")
    }
}
