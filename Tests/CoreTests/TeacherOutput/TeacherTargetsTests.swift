import Foundation
import Testing
@testable import Core

@Suite struct TeacherTargetsTests {
    static func header(_ bytes: [UInt8]) throws -> JSONValue {
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        return try JSONParser.parse(Array(bytes[8..<(8 + length)]))
    }

    @Test func layoutAndMetadata() throws {
        let targets = try TeacherTargetsSamples.make(TeacherTargetsSamples.twoSequences)
        #expect(targets.targetIDs == [12, 13, 21, 22])
        #expect(targets.seqOffsets == [0, 2, 4])
        let header = try Self.header(targets.serialized())
        let names = try #require(header.objectMembers).map(\.key)
        #expect(names == ["__metadata__", "input_offsets", "seq_offsets",
                          "lambda_0.5.target_logprob", "lambda_0.5.topk_logprobs", "lambda_2.0.target_logprob", "lambda_2.0.topk_logprobs",
                          "input_ids", "lambda_0.5.topk_ids", "lambda_2.0.topk_ids",
                          "prompt_lens", "target_ids"])
        #expect(header["lambda_2.0.topk_ids"]?["dtype"] == .string("I32"))
        #expect(header["lambda_2.0.topk_ids"]?["shape"] == .array([.integer(4), .integer(2)]))
        #expect(header["lambda_0.5.topk_logprobs"]?["dtype"] == .string("F32"))
        #expect(header["lambda_0.5.target_logprob"]?["shape"] == .array([.integer(4)]))
        #expect(header["input_offsets"]?["dtype"] == .string("I64"))
        #expect(header["input_offsets"]?["data_offsets"] == .array([.integer(0), .integer(24)]))
        #expect(header["input_ids"]?["shape"] == .array([.integer(7)]))
        #expect(header["__metadata__"] == .object([
            JSONMember("aligned_model", .string("smol-aligned")), JSONMember("aligned_model_hash", .string("bb22")),
            JSONMember("job_id", .string("job-1")), JSONMember("lambda_tags", .string(#"["0.5","2.0"]"#)),
            JSONMember("ref_model", .string("smol")), JSONMember("ref_model_hash", .string("aa11")),
            JSONMember("sequence_ids", .string(#"["17","18"]"#)), JSONMember("tokenizer_hash", .string("cc33")),
            JSONMember("top_k", .string("2")),
        ]))
    }

    @Test func replyByteSizeIsExact() throws {
        let cases: [([(String, [Int32], Int)], [String], Int, String?)] = [
            (TeacherTargetsSamples.twoSequences, ["0.5", "2.0"], 2, "job-1"),
            (TeacherTargetsSamples.dataset(1), ["1.0"], 1, nil),
            (TeacherTargetsSamples.dataset(13), ["-0.25", "0.0", "1e-05"], 32, "run42/000017"),
            (TeacherTargetsSamples.dataset(120), ["0.5", "2.0", "10.0"], 7, "id with \"quotes\" and é"),
            (TeacherTargetsSamples.dataset(3, start: 1000), ["3.0"], 1024, "x"),
        ]
        for (sequences, tags, topK, jobID) in cases {
            let targets = try TeacherTargetsSamples.make(jobID: jobID, sequences, lambdaTags: tags, topK: topK)
            let size = TeacherTargets.replyByteSize(tokens: targets.tokenCount, responseRows: targets.rowCount, metadata: targets.metadata)
            let bytes = targets.serialized()
            #expect(size == bytes.count, "\(sequences.count) sequences, top \(topK)")
            let data = 4 * targets.tokenCount + 16 * (targets.sequenceCount + 1) + 4 * targets.sequenceCount
                + 4 * targets.rowCount + tags.count * (8 * topK + 4) * targets.rowCount
            let headerLength = bytes.count - 8 - data
            #expect(headerLength > 0 && headerLength % 8 == 0)
        }
    }

    @Test func readsBackThroughTheSafetensorsReader() throws {
        let targets = try TeacherTargetsSamples.make(TeacherTargetsSamples.dataset(9), lambdaTags: ["-1.5", "0.5"], topK: 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("targets-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(targets.serialized()).write(to: URL(fileURLWithPath: path))
        #expect(try TeacherTargets(safetensors: SafetensorsFile(path: path)) == targets)
    }

    @Test func concatenationRebasesOffsets() throws {
        let first = try TeacherTargetsSamples.make(jobID: "a", TeacherTargetsSamples.twoSequences)
        let second = try TeacherTargetsSamples.make(jobID: "b", [("19", [30, 31, 32, 33, 34], 3)])
        let joined = try TeacherTargets.concatenate([first, second])
        #expect(joined.metadata.jobID == nil)
        #expect(joined.metadata.sequenceIDs == ["17", "18", "19"])
        #expect(joined.inputIDs == [10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 33, 34])
        #expect(joined.inputOffsets == [0, 4, 7, 12])
        #expect(joined.promptLens == [2, 1, 3])
        #expect(joined.seqOffsets == [0, 2, 4, 6])
        #expect(joined.targetIDs == [12, 13, 21, 22, 33, 34])
        #expect(joined.lambdas[1].topKIDs == [13, 113, 14, 114, 22, 122, 23, 123, 34, 134, 35, 135])
        #expect(joined.lambdas[0].targetLogprob == first.lambdas[0].targetLogprob + second.lambdas[0].targetLogprob)
        let whole = try TeacherTargetsSamples.make(jobID: nil, TeacherTargetsSamples.twoSequences + [("19", [30, 31, 32, 33, 34], 3)])
        #expect(joined == whole)
        #expect(joined.sequences(1..<3).withJobID(nil) == (try TeacherTargets.concatenate([first.sequences(1..<2), second])))
        #expect(joined.sequences(0..<3) == joined)
    }

    @Test func concatenationRefusesMismatchedParts() throws {
        let first = try TeacherTargetsSamples.make(TeacherTargetsSamples.twoSequences)
        let otherLambdas = try TeacherTargetsSamples.make([("19", [1, 2], 1)], lambdaTags: ["0.5"])
        let otherTopK = try TeacherTargetsSamples.make([("19", [1, 2], 1)], topK: 3)
        #expect(throws: TeacherTargetsError.self) { try TeacherTargets.concatenate([first, otherLambdas]) }
        #expect(throws: TeacherTargetsError.self) { try TeacherTargets.concatenate([first, otherTopK]) }
        #expect(throws: TeacherTargetsError.self) { try TeacherTargets.concatenate([]) }
    }

    @Test func constructionChecksConsistency() throws {
        let good = try TeacherTargetsSamples.make(TeacherTargetsSamples.twoSequences)
        func rebuild(inputOffsets: [Int64]? = nil, promptLens: [Int32]? = nil, seqOffsets: [Int64]? = nil,
                     targetIDs: [Int32]? = nil, lambdas: [LambdaTargets]? = nil) throws -> TeacherTargets {
            try TeacherTargets(metadata: good.metadata, inputIDs: good.inputIDs, inputOffsets: inputOffsets ?? good.inputOffsets,
                               promptLens: promptLens ?? good.promptLens, seqOffsets: seqOffsets ?? good.seqOffsets,
                               targetIDs: targetIDs ?? good.targetIDs, lambdas: lambdas ?? good.lambdas)
        }
        #expect(try rebuild() == good)
        #expect(throws: TeacherTargetsError.self) { try rebuild(inputOffsets: [0, 4, 6]) }
        #expect(throws: TeacherTargetsError.self) { try rebuild(promptLens: [2, 3]) }
        #expect(throws: TeacherTargetsError.self) { try rebuild(promptLens: [3, 1], seqOffsets: [0, 1, 3], targetIDs: [13, 21, 22]) }
        #expect(throws: TeacherTargetsError.self) { try rebuild(targetIDs: [12, 13, 21, 99]) }
        #expect(throws: TeacherTargetsError.self) { try rebuild(lambdas: Array(good.lambdas.reversed())) }
        #expect(throws: TeacherTargetsError.self) { try rebuild(lambdas: [good.lambdas[0], LambdaTargets(tag: "2.0", topKIDs: [], topKLogprobs: [], targetLogprob: [])]) }
    }
}
