/// The fused teacher's top-k distribution at one lambda, for `T` response rows:
/// row-major `[T, k]` ids and log-probabilities, and the target token's log-probability.
public struct LambdaTargets: Sendable, Equatable {
    public var tag: String
    public var topKIDs: [Int32]
    public var topKLogprobs: [Float]
    public var targetLogprob: [Float]

    public init(tag: String, topKIDs: [Int32], topKLogprobs: [Float], targetLogprob: [Float]) {
        self.tag = tag
        self.topKIDs = topKIDs
        self.topKLogprobs = topKLogprobs
        self.targetLogprob = targetLogprob
    }
}

/// The teacher targets of `S` sequences (`N` tokens, `T` response rows): the payload of a
/// teacher reply and of an output shard. Sequence `s` owns tokens
/// `inputOffsets[s] ..< inputOffsets[s+1]` and response rows
/// `seqOffsets[s] ..< seqOffsets[s+1]`; a sequence of length `L` with prompt length `P`
/// has `L - P` rows, whose targets are its tokens `P ..< L`. Construction checks all of it.
public struct TeacherTargets: Sendable, Equatable {
    public private(set) var metadata: TeacherTargetsMetadata
    public let inputIDs: [Int32]
    public let inputOffsets: [Int64]
    public let promptLens: [Int32]
    public let seqOffsets: [Int64]
    public let targetIDs: [Int32]
    /// In the order of `metadata.lambdaTags`.
    public let lambdas: [LambdaTargets]

    public init(metadata: TeacherTargetsMetadata, inputIDs: [Int32], inputOffsets: [Int64], promptLens: [Int32],
                seqOffsets: [Int64], targetIDs: [Int32], lambdas: [LambdaTargets],
                source: String? = nil) throws(TeacherTargetsError) {
        func fail(_ problem: String) -> TeacherTargetsError { TeacherTargetsError(source: source, problem) }
        let sequenceCount = metadata.sequenceIDs.count
        guard inputOffsets.count == sequenceCount + 1, seqOffsets.count == sequenceCount + 1,
              promptLens.count == sequenceCount else {
            throw fail("\(sequenceCount) sequence ids need \(sequenceCount + 1) input_offsets and seq_offsets and \(sequenceCount) prompt_lens, not \(inputOffsets.count), \(seqOffsets.count) and \(promptLens.count)")
        }
        guard inputOffsets[0] == 0, seqOffsets[0] == 0 else { throw fail("offsets must start at 0") }
        guard inputOffsets[sequenceCount] == inputIDs.count else {
            throw fail("input_offsets end at \(inputOffsets[sequenceCount]) but there are \(inputIDs.count) input_ids")
        }
        guard seqOffsets[sequenceCount] == targetIDs.count else {
            throw fail("seq_offsets end at \(seqOffsets[sequenceCount]) but there are \(targetIDs.count) target_ids")
        }
        for sequence in 0..<sequenceCount {
            let start = inputOffsets[sequence], length = inputOffsets[sequence + 1] - start
            let promptLen = Int64(promptLens[sequence])
            guard promptLen >= 1, promptLen <= length - 1 else {
                throw fail("sequence \(sequence): prompt length \(promptLen) is not in [1, \(length - 1)]")
            }
            guard seqOffsets[sequence + 1] - seqOffsets[sequence] == length - promptLen else {
                throw fail("sequence \(sequence): \(seqOffsets[sequence + 1] - seqOffsets[sequence]) response rows for \(length - promptLen) response tokens")
            }
            let rows = Int(seqOffsets[sequence])..<Int(seqOffsets[sequence + 1])
            guard targetIDs[rows].elementsEqual(inputIDs[Int(start + promptLen)..<Int(start + length)]) else {
                throw fail("sequence \(sequence): target_ids are not its response tokens")
            }
        }
        guard lambdas.map(\.tag) == metadata.lambdaTags else {
            throw fail("lambda tensors \(lambdas.map(\.tag)) do not match the metadata's lambda tags \(metadata.lambdaTags)")
        }
        let rowCount = targetIDs.count, topK = metadata.topK
        for lambda in lambdas {
            guard lambda.topKIDs.count == rowCount * topK, lambda.topKLogprobs.count == rowCount * topK,
                  lambda.targetLogprob.count == rowCount else {
                throw fail("lambda \(lambda.tag): tensors do not have \(rowCount) rows of top \(topK)")
            }
        }
        self.metadata = metadata
        self.inputIDs = inputIDs
        self.inputOffsets = inputOffsets
        self.promptLens = promptLens
        self.seqOffsets = seqOffsets
        self.targetIDs = targetIDs
        self.lambdas = lambdas
    }

    public var sequenceCount: Int { metadata.sequenceIDs.count }
    public var tokenCount: Int { inputIDs.count }
    public var rowCount: Int { targetIDs.count }

    /// The same targets labelled with another job id (nil for shards).
    public func withJobID(_ jobID: String?) -> TeacherTargets {
        var copy = self
        copy.metadata.jobID = jobID
        return copy
    }

    /// Sequences `range` alone, offsets rebased to 0, keeping the job id.
    public func sequences(_ range: Range<Int>) -> TeacherTargets {
        precondition(range.lowerBound >= 0 && range.upperBound <= sequenceCount, "sequence range \(range) outside 0..<\(sequenceCount)")
        let tokens = Int(inputOffsets[range.lowerBound])..<Int(inputOffsets[range.upperBound])
        let rows = Int(seqOffsets[range.lowerBound])..<Int(seqOffsets[range.upperBound])
        let topK = metadata.topK
        var sliceMetadata = metadata
        sliceMetadata.sequenceIDs = Array(metadata.sequenceIDs[range])
        // A slice of valid targets is valid by construction.
        return try! TeacherTargets(
            metadata: sliceMetadata,
            inputIDs: Array(inputIDs[tokens]),
            inputOffsets: inputOffsets[range.lowerBound...range.upperBound].map { $0 - Int64(tokens.lowerBound) },
            promptLens: Array(promptLens[range]),
            seqOffsets: seqOffsets[range.lowerBound...range.upperBound].map { $0 - Int64(rows.lowerBound) },
            targetIDs: Array(targetIDs[rows]),
            lambdas: lambdas.map { lambda in
                LambdaTargets(tag: lambda.tag,
                              topKIDs: Array(lambda.topKIDs[(rows.lowerBound * topK)..<(rows.upperBound * topK)]),
                              topKLogprobs: Array(lambda.topKLogprobs[(rows.lowerBound * topK)..<(rows.upperBound * topK)]),
                              targetLogprob: Array(lambda.targetLogprob[rows]))
            })
    }

    /// The parts' sequences one after another, offsets rebased; the job id is dropped
    /// (a concatenation spans jobs). All parts must agree on lambdas, top_k, models and
    /// tokenizer.
    public static func concatenate(_ parts: [TeacherTargets]) throws(TeacherTargetsError) -> TeacherTargets {
        guard let first = parts.first else { throw TeacherTargetsError("nothing to concatenate") }
        var metadata = first.metadata
        metadata.jobID = nil
        metadata.sequenceIDs = []
        var inputIDs: [Int32] = [], promptLens: [Int32] = [], targetIDs: [Int32] = []
        var inputOffsets: [Int64] = [0], seqOffsets: [Int64] = [0]
        var lambdas = first.lambdas.map { LambdaTargets(tag: $0.tag, topKIDs: [], topKLogprobs: [], targetLogprob: []) }
        for (index, part) in parts.enumerated() {
            let other = part.metadata
            guard other.lambdaTags == first.metadata.lambdaTags, other.topK == first.metadata.topK,
                  other.ref == first.metadata.ref, other.aligned == first.metadata.aligned,
                  other.tokenizerHash == first.metadata.tokenizerHash else {
                throw TeacherTargetsError(source: other.jobID, "part \(index) differs from part 0 in lambdas, top_k, models or tokenizer")
            }
            metadata.sequenceIDs.append(contentsOf: other.sequenceIDs)
            let tokenBase = Int64(inputIDs.count), rowBase = Int64(targetIDs.count)
            inputIDs.append(contentsOf: part.inputIDs)
            promptLens.append(contentsOf: part.promptLens)
            targetIDs.append(contentsOf: part.targetIDs)
            inputOffsets.append(contentsOf: part.inputOffsets.dropFirst().map { $0 + tokenBase })
            seqOffsets.append(contentsOf: part.seqOffsets.dropFirst().map { $0 + rowBase })
            for lambdaIndex in lambdas.indices {
                lambdas[lambdaIndex].topKIDs.append(contentsOf: part.lambdas[lambdaIndex].topKIDs)
                lambdas[lambdaIndex].topKLogprobs.append(contentsOf: part.lambdas[lambdaIndex].topKLogprobs)
                lambdas[lambdaIndex].targetLogprob.append(contentsOf: part.lambdas[lambdaIndex].targetLogprob)
            }
        }
        return try TeacherTargets(metadata: metadata, inputIDs: inputIDs, inputOffsets: inputOffsets, promptLens: promptLens,
                                  seqOffsets: seqOffsets, targetIDs: targetIDs, lambdas: lambdas)
    }
}
