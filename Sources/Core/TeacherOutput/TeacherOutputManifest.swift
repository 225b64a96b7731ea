import Foundation

/// `DIR/manifest.json` of a teacher output directory. Everything but `run_id` and
/// `timings` follows from the data, so two runs over the same dataset differ only there.
public struct TeacherOutputManifest: Sendable, Equatable, Codable {
    public struct Models: Sendable, Equatable, Codable {
        public var ref: ModelIdentity
        public var aligned: ModelIdentity
    }

    public struct Counts: Sendable, Equatable, Codable {
        /// Sequences with targets (failed records are listed in `failures` instead).
        public var sequences: Int
        /// Sequences in the shards written so far.
        public var writtenSequences: Int
        public var tokens: Int
        public var responseRows: Int
        public var shards: Int

        enum CodingKeys: String, CodingKey {
            case sequences, tokens, shards
            case writtenSequences = "written_sequences"
            case responseRows = "response_rows"
        }
    }

    public struct Shard: Sendable, Equatable, Codable {
        public var file: String
        public var firstSequence: Int
        public var sequences: Int
        public var tokens: Int
        public var responseRows: Int
        public var sha256: String

        enum CodingKeys: String, CodingKey {
            case file, sequences, tokens, sha256
            case firstSequence = "first_sequence"
            case responseRows = "response_rows"
        }
    }

    public struct Timings: Sendable, Equatable, Codable {
        /// ISO 8601, UTC.
        public var startedAt: String
        public var finishedAt: String?
        public var elapsedSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case elapsedSeconds = "elapsed_seconds"
        }
    }

    /// A dataset record that has no targets, and why (ARCHITECTURE.md's error codes).
    public struct Failure: Sendable, Equatable, Codable {
        public var sequence: Int
        public var id: String
        public var code: String
        public var message: String

        public init(sequence: Int, id: String, code: String, message: String) {
            self.sequence = sequence
            self.id = id
            self.code = code
            self.message = message
        }
    }

    public var runID: String
    public var models: Models
    public var tokenizerHash: String
    public var lambdaTags: [String]
    public var topK: Int
    public var sequencesPerShard: Int
    public var counts: Counts
    public var shards: [Shard]
    public var complete: Bool
    public var timings: Timings
    /// Records left out of the shards (`counts.sequences` counts the written ones).
    public var failures: [Failure] = []

    enum CodingKeys: String, CodingKey {
        case models, counts, shards, complete, timings, failures
        case runID = "run_id"
        case tokenizerHash = "tokenizer_hash"
        case lambdaTags = "lambda_tags"
        case topK = "top_k"
        case sequencesPerShard = "sequences_per_shard"
    }

    public static let fileName = "manifest.json"

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func read(directory: String) throws(TeacherOutputError) -> TeacherOutputManifest {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TeacherOutputError(path: path, problem: "cannot read the manifest")
        }
        do {
            return try JSONDecoder().decode(TeacherOutputManifest.self, from: data)
        } catch {
            throw TeacherOutputError(path: path, problem: "not a teacher output manifest: \(error)")
        }
    }
}
