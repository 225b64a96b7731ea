/// How the training sequences are grouped and ordered. Consecutive sequences are packed
/// into micro-batches of at most `tokenBudget` tokens (a longer sequence goes alone);
/// each epoch visits every micro-batch once, in an order shuffled from `seed` and the
/// epoch number, so any position in the run can be recomputed from the cursor alone
/// (which is what makes `--resume` exact).
public struct BatchPlan: Sendable, Equatable {
    public let microBatches: [Range<Int>]
    public let seed: UInt64
    public let shuffles: Bool

    public init(sequenceLengths: [Int], tokenBudget: Int, seed: UInt64, shuffles: Bool = true) {
        precondition(tokenBudget >= 1, "a token budget of \(tokenBudget)")
        var batches: [Range<Int>] = []
        var start = 0, tokens = 0
        for (index, length) in sequenceLengths.enumerated() {
            if index > start, tokens + length > tokenBudget {
                batches.append(start..<index)
                start = index
                tokens = 0
            }
            tokens += length
        }
        if start < sequenceLengths.count { batches.append(start..<sequenceLengths.count) }
        microBatches = batches
        self.seed = seed
        self.shuffles = shuffles
    }

    /// The micro-batch indices of `epoch`, in the order it visits them.
    public func order(epoch: Int) -> [Int] {
        var order = Array(microBatches.indices)
        guard shuffles else { return order }
        var generator = ShuffleGenerator(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        return order
    }

    /// The micro-batch at `cursor` and the cursor after it.
    public func microBatch(at cursor: DataCursor) -> (sequences: Range<Int>, next: DataCursor) {
        let batch = microBatches[order(epoch: cursor.epoch)[cursor.position]]
        let next = cursor.position + 1 < microBatches.count
            ? DataCursor(epoch: cursor.epoch, position: cursor.position + 1)
            : DataCursor(epoch: cursor.epoch + 1, position: 0)
        return (batch, next)
    }
}

/// A position in the data: the next micro-batch is number `position` of epoch `epoch`'s order.
public struct DataCursor: Sendable, Equatable {
    public var epoch: Int
    public var position: Int

    public init(epoch: Int = 0, position: Int = 0) {
        self.epoch = epoch
        self.position = position
    }
}

/// The SplitMix64 generator (Steele, Lea, Flood): a small seeded generator whose sequence is fixed by
/// its seed on every platform, unlike the standard library's generator.
struct ShuffleGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
