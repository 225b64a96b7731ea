import Foundation

/// Writes a teacher output directory: `targets-00000.safetensors`, ... and
/// `manifest.json`. Shard `i` holds dataset sequences
/// `i * sequencesPerShard ..< (i + 1) * sequencesPerShard` (the last one fewer), whatever
/// jobs they arrived in, so the shards depend only on the data and are byte-identical
/// for any number of workers and any job order. Targets may arrive in any order; a shard
/// is written (atomically, then the manifest) as soon as all its sequences are in.
public struct TeacherOutputWriter: Sendable {
    public static let defaultSequencesPerShard = 1024

    public let directory: String
    public let sequencesPerShard: Int
    public private(set) var manifest: TeacherOutputManifest
    private let sequenceIDs: [String]
    private let template: TeacherTargetsMetadata
    private let startedAt: Date
    /// Targets not yet in a shard, by the dataset index of their first sequence.
    private var pending: [Int: TeacherTargets] = [:]

    /// `sequenceIDs` are the dataset's ids in order; `template` gives the lambda tags,
    /// top_k, models and tokenizer every added target must carry.
    public init(directory: String, runID: String, sequenceIDs: [String], template: TeacherTargetsMetadata,
                sequencesPerShard: Int = defaultSequencesPerShard, startedAt: Date) throws(TeacherOutputError) {
        guard sequencesPerShard >= 1 else {
            throw TeacherOutputError(path: directory, problem: "sequences per shard must be at least 1, not \(sequencesPerShard)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TeacherOutputError(path: directory, problem: "cannot create the directory: \(error.localizedDescription)")
        }
        self.directory = directory
        self.sequencesPerShard = sequencesPerShard
        self.sequenceIDs = sequenceIDs
        self.template = template
        self.startedAt = startedAt
        manifest = TeacherOutputManifest(
            runID: runID, models: .init(ref: template.ref, aligned: template.aligned), tokenizerHash: template.tokenizerHash,
            lambdaTags: template.lambdaTags, topK: template.topK, sequencesPerShard: sequencesPerShard,
            counts: .init(sequences: sequenceIDs.count, writtenSequences: 0, tokens: 0, responseRows: 0, shards: 0),
            shards: [], complete: false,
            timings: .init(startedAt: Self.timestamp(startedAt), finishedAt: nil, elapsedSeconds: nil))
        try writeManifest()
    }

    public var shardCount: Int { (sequenceIDs.count + sequencesPerShard - 1) / sequencesPerShard }

    public static func shardFileName(_ index: Int) -> String {
        let digits = String(index)
        return "targets-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".safetensors"
    }

    /// Adds the targets of dataset sequences `firstSequence ..< firstSequence + count` and
    /// writes every shard this completes.
    public mutating func add(_ targets: TeacherTargets, firstSequence: Int) throws(TeacherOutputError) {
        let range = firstSequence..<(firstSequence + targets.sequenceCount)
        let written = manifest.counts.writtenSequences
        func fail(_ problem: String) -> TeacherOutputError {
            TeacherOutputError(path: directory, problem: "targets of sequences \(range.lowerBound)..<\(range.upperBound)\(targets.metadata.jobID.map { " (job \($0))" } ?? ""): \(problem)")
        }
        guard targets.sequenceCount > 0 else { return }
        guard range.lowerBound >= 0, range.upperBound <= sequenceIDs.count else { throw fail("outside the dataset's \(sequenceIDs.count) sequences") }
        guard targets.metadata.sequenceIDs == Array(sequenceIDs[range]) else { throw fail("sequence ids differ from the dataset's") }
        let expected = template
        guard targets.metadata.lambdaTags == expected.lambdaTags, targets.metadata.topK == expected.topK,
              targets.metadata.ref == expected.ref, targets.metadata.aligned == expected.aligned,
              targets.metadata.tokenizerHash == expected.tokenizerHash else {
            throw fail("lambdas, top_k, models or tokenizer differ from the run's")
        }
        let overlapsPending = pending.contains { start, piece in start < range.upperBound && range.lowerBound < start + piece.sequenceCount }
        guard range.lowerBound >= written, !overlapsPending else { throw fail("some of these sequences were already added") }
        pending[firstSequence] = targets
        while manifest.shards.count < shardCount, try writeNextShardIfReady() {}
    }

    /// Lists the dataset records that have no targets in the manifest.
    public mutating func recordFailures(_ failures: [TeacherOutputManifest.Failure]) throws(TeacherOutputError) {
        manifest.failures = failures
        try writeManifest()
    }

    /// Marks the output complete; every sequence must have been added.
    public mutating func finish(finishedAt: Date) throws(TeacherOutputError) {
        guard manifest.shards.count == shardCount else {
            throw TeacherOutputError(path: directory, problem: "\(sequenceIDs.count - manifest.counts.writtenSequences) sequences have no targets yet")
        }
        manifest.complete = true
        manifest.timings.finishedAt = Self.timestamp(finishedAt)
        manifest.timings.elapsedSeconds = finishedAt.timeIntervalSince(startedAt)
        try writeManifest()
    }

    private mutating func writeNextShardIfReady() throws(TeacherOutputError) -> Bool {
        let index = manifest.shards.count
        let shardRange = (index * sequencesPerShard)..<min((index + 1) * sequencesPerShard, sequenceIDs.count)
        var cursor = shardRange.lowerBound
        while cursor < shardRange.upperBound {
            guard let piece = pending[cursor] else { return false }
            cursor += piece.sequenceCount
        }
        var parts: [TeacherTargets] = []
        cursor = shardRange.lowerBound
        while cursor < shardRange.upperBound {
            let piece = pending.removeValue(forKey: cursor)!
            let taken = min(piece.sequenceCount, shardRange.upperBound - cursor)
            if taken < piece.sequenceCount {
                parts.append(piece.sequences(0..<taken))
                pending[cursor + taken] = piece.sequences(taken..<piece.sequenceCount)
            } else {
                parts.append(piece)
            }
            cursor += taken
        }
        let shard: TeacherTargets
        do {
            shard = try TeacherTargets.concatenate(parts)
        } catch {
            throw TeacherOutputError(path: directory, problem: "shard \(index): \(error)")
        }
        let bytes = shard.serialized()
        let file = Self.shardFileName(index)
        try writeAtomically(Data(bytes), to: directory + "/" + file)
        manifest.shards.append(.init(file: file, firstSequence: shardRange.lowerBound, sequences: shard.sequenceCount,
                                     tokens: shard.tokenCount, responseRows: shard.rowCount, sha256: SHA256.hex(bytes)))
        manifest.counts.writtenSequences += shard.sequenceCount
        manifest.counts.tokens += shard.tokenCount
        manifest.counts.responseRows += shard.rowCount
        manifest.counts.shards += 1
        try writeManifest()
        return true
    }

    private func writeManifest() throws(TeacherOutputError) {
        let path = directory + "/" + TeacherOutputManifest.fileName
        let data: Data
        do {
            data = try manifest.jsonData()
        } catch {
            throw TeacherOutputError(path: path, problem: "cannot encode the manifest: \(error)")
        }
        try writeAtomically(data, to: path)
    }

    private func writeAtomically(_ data: Data, to path: String) throws(TeacherOutputError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TeacherOutputError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
