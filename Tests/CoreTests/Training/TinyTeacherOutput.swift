import Foundation
@testable import Core

/// A teacher output directory made in-process for the tiny models (which have no
/// tokenizer, so no worker can serve them): ref = tiny-qwen2, aligned =
/// tiny-qwen2-aligned, pre-tokenized sequences, targets fused as a worker fuses them.
enum TinyTeacherOutput {
    struct Sequence {
        var id: String
        var ids: [Int32]
        var promptLength: Int
    }

    /// `count` deterministic sequences: 10...30 ids in [0, 256), prompts of 3...7.
    static func sequences(count: Int, seed: UInt64) -> [Sequence] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let length = 10 + Int(generator.next() % 21)
            let ids = (0..<length).map { _ in Int32(generator.next() % 256) }
            return Sequence(id: "s\(index)", ids: ids, promptLength: 3 + Int(generator.next() % 5))
        }
    }

    /// Writes `DIR/manifest.json` and shards of `sequencesPerShard`.
    static func write(_ sequences: [Sequence], to directory: String, lambdas: [Double] = [2.0], topK: Int = 16,
                      sequencesPerShard: Int = 4) throws {
        let ref = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2"))
        let aligned = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2-aligned"))
        let tags = lambdas.map(LambdaTag.tag(for:))
        let metadata = TeacherTargetsMetadata(
            jobID: nil, sequenceIDs: sequences.map(\.id), lambdaTags: tags, topK: topK,
            ref: ModelIdentity(name: "tiny-qwen2", contentHash: "r"), aligned: ModelIdentity(name: "tiny-qwen2-aligned", contentHash: "a"),
            tokenizerHash: "none")
        var writer = try TeacherOutputWriter(directory: directory, runID: "test", sequenceIDs: sequences.map(\.id), template: metadata,
                                             sequencesPerShard: sequencesPerShard, startedAt: Date(timeIntervalSince1970: 0))
        for (index, sequence) in sequences.enumerated() {
            let rows = (sequence.promptLength - 1)..<(sequence.ids.count - 1)
            let targets = Array(sequence.ids[sequence.promptLength...])
            let fused = Fusion.fuse(ref: ref.logits(sequences: [sequence.ids], rows: [rows])[0],
                                    aligned: aligned.logits(sequences: [sequence.ids], rows: [rows])[0],
                                    lambdas: lambdas, topK: topK, targets: targets)
            var one = metadata
            one.sequenceIDs = [sequence.id]
            let part = try TeacherTargets(
                metadata: one, inputIDs: sequence.ids, inputOffsets: [0, Int64(sequence.ids.count)],
                promptLens: [Int32(sequence.promptLength)], seqOffsets: [0, Int64(rows.count)], targetIDs: targets,
                lambdas: zip(tags, fused).map { LambdaTargets(tag: $0, topKIDs: $1.topKIds, topKLogprobs: $1.topKLogProbs, targetLogprob: $1.targetLogProbs) })
            try writer.add(part, firstSequence: index)
        }
        try writer.finish(finishedAt: Date(timeIntervalSince1970: 1))
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("realign-train-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
