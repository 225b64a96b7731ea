/// One training sequence in the student's view: `ids[0 ..< promptLength]` is the prompt,
/// the rest the response. The loss rows are the logits that predict response tokens,
/// positions `promptLength − 1 ..< ids.count − 1`, as in the teacher output.
public struct TrainingSequence: Sendable, Equatable {
    public var id: String
    public var ids: [Int32]
    public var promptLength: Int
    /// Offline TrRa: the teacher's top-k rows for this sequence's loss rows.
    public var teacherTopK: TopKRows?
    /// Online TrRa: the aligned model's view of the same sequence (its own prompt, the
    /// same response tokens); nil when the aligned view is the student's.
    public var alignedView: RenderedSequence?

    public init(id: String, ids: [Int32], promptLength: Int, teacherTopK: TopKRows? = nil, alignedView: RenderedSequence? = nil) {
        precondition(promptLength >= 1 && promptLength < ids.count,
                     "sequence \(id): prompt length \(promptLength) outside 1..<\(ids.count)")
        self.id = id
        self.ids = ids
        self.promptLength = promptLength
        self.teacherTopK = teacherTopK
        self.alignedView = alignedView
    }

    public var lossRows: Range<Int> { (promptLength - 1)..<(ids.count - 1) }
    public var responseIDs: ArraySlice<Int32> { ids[promptLength...] }
}

/// Top-k teacher rows: row-major `[rows, k]` ids and log-probabilities.
public struct TopKRows: Sendable, Equatable {
    public var k: Int
    public var ids: [Int32]
    public var logProbs: [Float]

    public init(k: Int, ids: [Int32], logProbs: [Float]) {
        precondition(ids.count == logProbs.count && ids.count % k == 0, "\(ids.count) ids and \(logProbs.count) log-probs are not rows of \(k)")
        self.k = k
        self.ids = ids
        self.logProbs = logProbs
    }

    public var rowCount: Int { ids.count / k }
}
