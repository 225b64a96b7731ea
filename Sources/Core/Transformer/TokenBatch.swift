/// Several sequences stacked into one run of rows, so each projection is one matrix
/// product over every token of the batch. Sequence `s` owns rows
/// `offsets[s] ..< offsets[s + 1]`; its first row sits at position `startPositions[s]`
/// (0 for a whole sequence, the cached length when decoding continues a sequence).
struct TokenBatch {
    let tokens: [Int32]
    let offsets: [Int]
    let positionOfRow: [Int]

    init(sequences: [[Int32]], startPositions: [Int]? = nil) {
        precondition(startPositions == nil || startPositions!.count == sequences.count,
                     "\(startPositions?.count ?? 0) start positions for \(sequences.count) sequences")
        var tokens: [Int32] = []
        var offsets = [0]
        var positions: [Int] = []
        for (s, sequence) in sequences.enumerated() {
            let start = startPositions?[s] ?? 0
            tokens += sequence
            positions += start..<(start + sequence.count)
            offsets.append(tokens.count)
        }
        self.tokens = tokens
        self.offsets = offsets
        self.positionOfRow = positions
    }

    var rowCount: Int { tokens.count }
    var sequenceCount: Int { offsets.count - 1 }

    func rows(ofSequence s: Int) -> Range<Int> { offsets[s]..<offsets[s + 1] }

    /// The number of rows of the longest sequence (0 for an empty batch).
    var longestSequence: Int { (0..<sequenceCount).map { rows(ofSequence: $0).count }.max() ?? 0 }
}
