import Foundation
import Testing
@testable import Core

/// One output shard read back, with the checks every shard of a teacher run must pass
/// whatever its data: the tensor layout of ARCHITECTURE.md, data offsets that tile the
/// file, and log-probabilities that are log-probabilities.
struct TeacherShard {
    static let vocabularySize: Int32 = 49152

    let path: String
    let bytes: [UInt8]
    let file: SafetensorsFile
    let targets: TeacherTargets

    init(path: String) throws {
        self.path = path
        bytes = try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) }, "no shard at \(path)")
        file = try SafetensorsFile(path: path)
        targets = try TeacherTargets(safetensors: file)
    }

    /// Sequence `s`'s tokens, prompt length and response rows.
    func sequence(_ s: Int) -> (ids: [Int32], promptLen: Int, rows: Range<Int>) {
        let tokens = Int(targets.inputOffsets[s])..<Int(targets.inputOffsets[s + 1])
        return (Array(targets.inputIDs[tokens]), Int(targets.promptLens[s]),
                Int(targets.seqOffsets[s])..<Int(targets.seqOffsets[s + 1]))
    }

    func lambda(_ tag: String) throws -> LambdaTargets {
        try #require(targets.lambdas.first { $0.tag == tag }, "no lambda \(tag) in \(path)")
    }

    /// The layout and value checks; `sequenceIDs`, `lambdaTags` and `topK` are what the
    /// run was given.
    func checkWellFormed(sequenceIDs: [String], lambdaTags: [String], topK: Int) throws {
        let sequences = sequenceIDs.count
        let tokens = targets.tokenCount, rows = targets.rowCount
        var expected: [String: (SafetensorsDType, [Int])] = [
            "input_ids": (.i32, [tokens]), "input_offsets": (.i64, [sequences + 1]), "prompt_lens": (.i32, [sequences]),
            "seq_offsets": (.i64, [sequences + 1]), "target_ids": (.i32, [rows]),
        ]
        for tag in lambdaTags {
            expected["lambda_\(tag).topk_ids"] = (.i32, [rows, topK])
            expected["lambda_\(tag).topk_logprobs"] = (.f32, [rows, topK])
            expected["lambda_\(tag).target_logprob"] = (.f32, [rows])
        }
        #expect(file.tensorNames == expected.keys.sorted())
        for (name, (dtype, shape)) in expected {
            #expect(file.tensors[name]?.dtype == dtype, "\(name)")
            #expect(file.tensors[name]?.shape == shape, "\(name)")
        }

        // The data offsets tile the data section: no gap, no overlap, nothing after.
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        var cursor = 8 + headerLength
        for info in file.tensors.values.sorted(by: { $0.byteRange.lowerBound < $1.byteRange.lowerBound }) {
            #expect(info.byteRange.lowerBound == cursor)
            cursor = info.byteRange.upperBound
        }
        #expect(cursor == bytes.count)

        // A shard spans jobs: it names its sequences, never a job.
        #expect(targets.metadata.sequenceIDs == sequenceIDs)
        #expect(file.metadata["sequence_ids"] == JSONValue.array(sequenceIDs.map { .string($0) }).jsonText)
        #expect(file.metadata["job_id"] == nil)
        #expect(targets.metadata.lambdaTags == lambdaTags)
        #expect(targets.metadata.topK == topK)

        #expect(targets.inputOffsets.first == 0 && targets.inputOffsets.last == Int64(tokens))
        #expect(targets.seqOffsets.first == 0 && targets.seqOffsets.last == Int64(rows))
        for s in 0..<sequences {
            let (ids, promptLen, responseRows) = sequence(s)
            #expect(promptLen >= 1 && promptLen < ids.count, "sequence \(s)")
            #expect(responseRows.count == ids.count - promptLen, "sequence \(s)")
            #expect(Array(targets.targetIDs[responseRows]) == Array(ids[promptLen...]), "sequence \(s)")
            #expect(ids.allSatisfy { $0 >= 0 && $0 < Self.vocabularySize }, "sequence \(s)")
        }

        for tag in lambdaTags {
            let lambda = try lambda(tag)
            #expect(lambda.targetLogprob.allSatisfy { $0.isFinite && $0 <= 0 }, "lambda \(tag): target_logprob")
            #expect(lambda.topKLogprobs.allSatisfy { $0.isFinite && $0 <= 0 }, "lambda \(tag): topk_logprobs")
            #expect(lambda.topKIDs.allSatisfy { $0 >= 0 && $0 < Self.vocabularySize }, "lambda \(tag): topk_ids")
            for row in 0..<rows {
                let ids = lambda.topKIDs[(row * topK)..<((row + 1) * topK)]
                let logprobs = Array(lambda.topKLogprobs[(row * topK)..<((row + 1) * topK)])
                #expect(Set(ids).count == topK, "lambda \(tag) row \(row): top-k ids repeat")
                #expect(zip(logprobs, logprobs.dropFirst()).allSatisfy { $0 >= $1 }, "lambda \(tag) row \(row): not descending")
                // Top-k probabilities are part of one distribution over the vocabulary.
                #expect(logprobs.reduce(0) { $0 + exp(Double($1)) } <= 1 + 1e-4, "lambda \(tag) row \(row)")
                let target = targets.targetIDs[row], targetLogprob = lambda.targetLogprob[row]
                #expect(targetLogprob <= logprobs[0] + 1e-5, "lambda \(tag) row \(row)")
                // A slice's indices are the whole array's, which topk_logprobs shares.
                if let position = ids.firstIndex(of: target) {
                    #expect(abs(targetLogprob - lambda.topKLogprobs[position]) <= 1e-5, "lambda \(tag) row \(row)")
                } else {
                    #expect(targetLogprob <= logprobs[topK - 1] + 1e-5, "lambda \(tag) row \(row)")
                }
            }
        }
    }
}
