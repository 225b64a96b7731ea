import _Builtin_intrinsics.intel

/// Picks the `k` largest values of a row in O(n log k) with a bounded min-heap, without
/// sorting the row; the row may come in pieces (`offer`, as the blocked fusion has it).
/// Order: larger value first; equal values by lower index first, so the result is
/// deterministic when logits tie exactly (tied embedding rows).
struct TopKSelection {
    let k: Int
    /// Heap of (value, index), the worst kept entry at the root.
    private var values: [Float]
    private var indices: [Int32]

    init(k: Int) {
        self.k = k
        values = []
        indices = []
        values.reserveCapacity(k)
        indices.reserveCapacity(k)
    }

    /// Whether `(a, i)` ranks before `(b, j)`.
    @inline(__always)
    private static func ranksBefore(_ a: Float, _ i: Int32, _ b: Float, _ j: Int32) -> Bool {
        a > b || (a == b && i < j)
    }

    /// The indices and values of the `k` best entries of `row[0..<count]`, best first.
    mutating func select(_ row: UnsafePointer<Float>, count: Int) -> [(index: Int32, value: Float)] {
        precondition(k >= 1 && k <= count, "top-\(k) of \(count) values")
        reset()
        offer(row, count: count, firstIndex: 0)
        return ranked()
    }

    /// Forgets every entry offered so far.
    mutating func reset() {
        values.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
    }

    /// Offers `row[0..<count]` as the entries `firstIndex ..< firstIndex + count` of a
    /// longer row whose pieces come in index order (so ties still go to the lower index).
    mutating func offer(_ row: UnsafePointer<Float>, count: Int, firstIndex: Int) {
        var i = 0
        while i < count && values.count < k {
            push(row[i], Int32(firstIndex + i))
            i += 1
        }
        // Later indices lose ties, so only a strictly larger value displaces the root. Once
        // the heap is full few entries do: test eight against it at a time, by the sign
        // bits of `root − value` (negative exactly where value > root; a NaN only sends
        // the eight to the scalar test, which refuses it). Swift's SIMD comparison would
        // go lane by lane.
        while i + 8 <= count {
            let differences = _mm256_sub_ps(_mm256_set1_ps(values[0]), _mm256_loadu_ps(row + i))
            if _mm256_movemask_ps(differences) != 0 {
                for j in i..<(i + 8) where row[j] > values[0] { replaceRoot(row[j], Int32(firstIndex + j)) }
            }
            i += 8
        }
        while i < count {
            if row[i] > values[0] { replaceRoot(row[i], Int32(firstIndex + i)) }
            i += 1
        }
    }

    /// The entries kept so far, best first.
    func ranked() -> [(index: Int32, value: Float)] {
        zip(indices, values).map { (index: $0, value: $1) }
            .sorted { Self.ranksBefore($0.value, $0.index, $1.value, $1.index) }
    }

    private mutating func push(_ value: Float, _ index: Int32) {
        values.append(value)
        indices.append(index)
        var child = values.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.ranksBefore(values[parent], indices[parent], values[child], indices[child]) else { break }
            values.swapAt(parent, child)
            indices.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func replaceRoot(_ value: Float, _ index: Int32) {
        values[0] = value
        indices[0] = index
        var parent = 0
        let count = values.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var worst = left
            let right = left + 1
            if right < count, Self.ranksBefore(values[worst], indices[worst], values[right], indices[right]) {
                worst = right
            }
            guard Self.ranksBefore(values[parent], indices[parent], values[worst], indices[worst]) else { break }
            values.swapAt(parent, worst)
            indices.swapAt(parent, worst)
            parent = worst
        }
    }
}
