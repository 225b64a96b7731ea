/// Where attention reads one sequence's keys and values for one layer: positions
/// `0 ..< past + new rows`, row-major with `kvHeads · headDim` floats a row; the last
/// rows are the ones the current pass added.
struct AttentionSpan {
    let keys: UnsafePointer<Float>
    let values: UnsafePointer<Float>
    let past: Int
}

/// What the layer stack does with each layer's freshly computed (rotated) keys and
/// values: keep them for later steps (a KV cache) or use them only in this pass.
protocol AttentionMemory {
    /// Takes the new rows' keys and values of batch sequence `sequence` at `layer`
    /// (`rows × width` floats each) and returns the span its attention reads.
    func store(layer: Int, sequence: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
               rows: Int, width: Int) -> AttentionSpan
}

/// Whole sequences in one pass (teacher forcing): the pass's own keys are all there is.
struct TransientAttentionMemory: AttentionMemory {
    func store(layer: Int, sequence: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
               rows: Int, width: Int) -> AttentionSpan {
        AttentionSpan(keys: keys, values: values, past: 0)
    }
}
