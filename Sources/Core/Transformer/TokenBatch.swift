/// Several sequences stacked into one run of rows, so each projection is one matrix
/// product over every token of the batch. Sequence `s` owns rows
/// `offsets[s] ..< offsets[s + 1]`; every sequence starts again at position 0.
struct TokenBatch {
    let tokens: [Int32]
    let offsets: [Int]
    let positionOfRow: [Int]

    init(sequences: [[Int32]]) {
        var tokens: [Int32] = []
        var offsets = [0]
        var positions: [Int] = []
        for sequence in sequences {
            tokens += sequence
            positions += 0..<sequence.count
            offsets.append(tokens.count)
        }
        self.tokens = tokens
        self.offsets = offsets
        self.positionOfRow = positions
    }

    var rowCount: Int { tokens.count }
    var sequenceCount: Int { offsets.count - 1 }

    func rows(ofSequence s: Int) -> Range<Int> { offsets[s]..<offsets[s + 1] }

    var longestSequence: Int {
        (0..<sequenceCount).map { rows(ofSequence: $0).count }.max() ?? 0
    }
}
