@testable import Core

/// Small teacher targets with values derived from the tokens, so tests can state them.
enum TeacherTargetsSamples {
    static let ref = ModelIdentity(name: "smol", contentHash: "aa11")
    static let aligned = ModelIdentity(name: "smol-aligned", contentHash: "bb22")

    static func metadata(jobID: String?, sequenceIDs: [String], lambdaTags: [String] = ["0.5", "2.0"], topK: Int = 2) -> TeacherTargetsMetadata {
        TeacherTargetsMetadata(jobID: jobID, sequenceIDs: sequenceIDs, lambdaTags: lambdaTags, topK: topK,
                               ref: ref, aligned: aligned, tokenizerHash: "cc33")
    }

    /// `sequences`: (id, tokens, prompt length).
    static func make(jobID: String? = "job-1", _ sequences: [(String, [Int32], Int)], lambdaTags: [String] = ["0.5", "2.0"],
                     topK: Int = 2) throws -> TeacherTargets {
        var inputIDs: [Int32] = [], inputOffsets: [Int64] = [0], promptLens: [Int32] = [], seqOffsets: [Int64] = [0], targetIDs: [Int32] = []
        for (_, tokens, promptLen) in sequences {
            inputIDs += tokens
            inputOffsets.append(Int64(inputIDs.count))
            promptLens.append(Int32(promptLen))
            targetIDs += tokens[promptLen...]
            seqOffsets.append(Int64(targetIDs.count))
        }
        let lambdas = lambdaTags.enumerated().map { lambdaIndex, tag in
            LambdaTargets(
                tag: tag,
                topKIDs: targetIDs.flatMap { target in (0..<topK).map { target + Int32($0 * 100 + lambdaIndex) } },
                topKLogprobs: targetIDs.flatMap { target in (0..<topK).map { -Float($0) - Float(target) / 1000 - Float(lambdaIndex) } },
                targetLogprob: targetIDs.map { -Float($0) / 1000 - Float(lambdaIndex) })
        }
        return try TeacherTargets(metadata: metadata(jobID: jobID, sequenceIDs: sequences.map(\.0), lambdaTags: lambdaTags, topK: topK),
                                  inputIDs: inputIDs, inputOffsets: inputOffsets, promptLens: promptLens, seqOffsets: seqOffsets,
                                  targetIDs: targetIDs, lambdas: lambdas)
    }

    static let twoSequences: [(String, [Int32], Int)] = [("17", [10, 11, 12, 13], 2), ("18", [20, 21, 22], 1)]

    /// `count` sequences with ids "0", "1", ... of varying lengths.
    static func dataset(_ count: Int, start: Int = 0) -> [(String, [Int32], Int)] {
        (start..<(start + count)).map { index in
            let length = 2 + index % 5
            return (String(index), (0..<length).map { Int32(index * 10 + $0) }, 1 + index % (length - 1))
        }
    }
}
