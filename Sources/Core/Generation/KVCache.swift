/// The keys and values one sequence has produced so far, per decoder layer, so that a
/// decode step computes only the new token. A stream that skips the first layers (the
/// unaligned stream of an InRa model) keeps nothing for them.
///
/// Storage per layer is `[capacity, kvHeads · headDim]` for keys and the same for
/// values, grown by doubling. A cache belongs to one sequence and one thread at a time.
public final class KVCache {
    public let firstLayer: Int
    public let layerCount: Int
    let width: Int
    /// Positions stored (the same in every layer once a step has finished).
    public private(set) var length = 0
    private var capacity = 0
    private var keys: [UnsafeMutablePointer<Float>?]
    private var values: [UnsafeMutablePointer<Float>?]

    /// A cache for a model of `config`'s shape whose stream runs layers
    /// `firstLayer ..< config.layerCount`.
    public init(config: ModelConfig, firstLayer: Int = 0) {
        precondition((0..<config.layerCount).contains(firstLayer), "first layer \(firstLayer) of \(config.layerCount)")
        self.firstLayer = firstLayer
        layerCount = config.layerCount
        width = config.kvHeadCount * config.headDim
        keys = Array(repeating: nil, count: layerCount)
        values = Array(repeating: nil, count: layerCount)
    }

    deinit {
        for pointer in keys + values { pointer?.deallocate() }
    }

    /// Makes room for `count` more positions in every layer.
    func reserve(additional count: Int) {
        let needed = length + count
        guard needed > capacity else { return }
        let grown = max(needed, capacity * 2, 16)
        for layer in firstLayer..<layerCount {
            keys[layer] = Self.regrow(keys[layer], keeping: length * width, to: grown * width)
            values[layer] = Self.regrow(values[layer], keeping: length * width, to: grown * width)
        }
        capacity = grown
    }

    private static func regrow(_ old: UnsafeMutablePointer<Float>?, keeping count: Int, to size: Int) -> UnsafeMutablePointer<Float> {
        let fresh = UnsafeMutablePointer<Float>.allocate(capacity: size)
        if let old {
            fresh.update(from: old, count: count)
            old.deallocate()
        }
        return fresh
    }

    /// Copies `rows` new positions of `layer` after the stored ones and returns the
    /// span attention reads; the length advances only with `commit`, after every layer.
    func append(layer: Int, keys newKeys: UnsafePointer<Float>, values newValues: UnsafePointer<Float>, rows: Int) -> AttentionSpan {
        precondition(layer >= firstLayer && length + rows <= capacity, "cache append outside its layers or capacity")
        let k = keys[layer]!, v = values[layer]!
        (k + length * width).update(from: newKeys, count: rows * width)
        (v + length * width).update(from: newValues, count: rows * width)
        return AttentionSpan(keys: k, values: v, past: length)
    }

    func commit(rows: Int) {
        length += rows
    }
}

/// The attention memory of a decode pass: batch sequence `s` keeps its keys and values
/// in `caches[s]`.
struct CachedAttentionMemory: AttentionMemory {
    let caches: [KVCache]

    func store(layer: Int, sequence: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
               rows: Int, width: Int) -> AttentionSpan {
        caches[sequence].append(layer: layer, keys: keys, values: values, rows: rows)
    }
}
