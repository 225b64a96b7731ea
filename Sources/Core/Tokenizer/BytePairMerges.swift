/// The merge rules as a table from an adjacent id pair to its rank and merged id, and
/// the BPE loop that applies them inside one chunk.
struct BytePairMerges: Sendable {
    private struct Merge: Sendable {
        let rank: Int32
        let merged: Int32
    }

    private let table: [UInt64: Merge]

    /// Rules whose parts or result are not in the vocabulary can never fire and are dropped.
    init(rules: [String], idsByToken: [String: Int32]) throws(TokenizerError) {
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(rules.count)
        for (rank, rule) in rules.enumerated() {
            let parts = rule.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .malformedMerge(index: rank, rule: rule)
            }
            guard let left = idsByToken[String(parts[0])], let right = idsByToken[String(parts[1])],
                  let merged = idsByToken[String(parts[0]) + String(parts[1])] else { continue }
            let key = Self.key(left, right)
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), merged: merged) }
        }
        self.table = table
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Repeatedly merges the lowest-ranked adjacent pair (leftmost first on ties, every
    /// non-overlapping occurrence of that pair in one pass) until no rule applies.
    func apply(to ids: inout [Int32]) {
        while ids.count > 1 {
            var bestRank = Int32.max
            var bestPair: UInt64 = 0
            var bestMerged: Int32 = 0
            for index in 0..<(ids.count - 1) {
                let key = Self.key(ids[index], ids[index + 1])
                if let merge = table[key], merge.rank < bestRank {
                    bestRank = merge.rank
                    bestPair = key
                    bestMerged = merge.merged
                }
            }
            if bestRank == Int32.max { return }
            var output: [Int32] = []
            output.reserveCapacity(ids.count)
            var index = 0
            while index < ids.count {
                if index + 1 < ids.count, Self.key(ids[index], ids[index + 1]) == bestPair {
                    output.append(bestMerged)
                    index += 2
                } else {
                    output.append(ids[index])
                    index += 1
                }
            }
            ids = output
        }
    }
}
