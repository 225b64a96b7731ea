/// Which offsets of a topic's partitions may be committed when requests finish out of
/// order: a partition's committed offset is the lowest one not yet done, so a worker
/// that dies loses (to redelivery) only requests it had not answered.
struct RequestOffsets {
    private var open: [Int32: Set<Int64>] = [:]
    private var highestTaken: [Int32: Int64] = [:]
    private var doneThrough: [Int32: Int64] = [:]

    /// A message taken for work.
    mutating func take(partition: Int32, offset: Int64) {
        open[partition, default: []].insert(offset)
        highestTaken[partition] = max(highestTaken[partition] ?? offset, offset)
        if doneThrough[partition] == nil { doneThrough[partition] = offset - 1 }
    }

    /// Marks a taken message done. Returns the offset through which every message of the
    /// partition is now done, when that moved forward (what to commit), else nil.
    mutating func finish(partition: Int32, offset: Int64) -> Int64? {
        guard open[partition]?.remove(offset) != nil, let highest = highestTaken[partition] else { return nil }
        let through = open[partition]!.min().map { $0 - 1 } ?? highest
        guard through > doneThrough[partition]! else { return nil }
        doneThrough[partition] = through
        return through
    }
}
