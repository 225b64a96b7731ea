import Dispatch
import Synchronization

extension ModelWeights {
    /// All weights of a `llama` or `qwen2` GGUF file, dequantised to float32 in Hugging
    /// Face naming and orientation. `llama` `attn_q`/`attn_k` rows (and biases, if any)
    /// are un-permuted to Hugging Face order; `qwen2` files are already in that order.
    /// Every tensor must have the shape the configuration implies, and a tensor the
    /// architecture does not use is an error (it would otherwise be silently ignored).
    /// Layers are decoded in parallel: the load is bound by writing fresh memory.
    /// With `precision` `.quantized`, Q4_0/Q4_1/Q8_0 matrices stay in the file's blocks
    /// instead (read through a row index where un-permuting requires it).
    public init(gguf: GGUFFile, precision: WeightPrecision = .exact) throws(FileError) {
        let config = try ModelConfig(gguf: gguf)
        // The layer table is sized from block_count: bounded by the tensors first.
        guard (1...max(1, gguf.tensors.count)).contains(config.layerCount) else {
            throw gguf.error("block_count \(config.layerCount) is not a layer count for \(gguf.tensors.count) tensors")
        }
        let results = Mutex(GGUFLoadResults(layerCount: config.layerCount))
        // Job 0 is the embedding, final norm and output head; job i + 1 is layer i.
        DispatchQueue.concurrentPerform(iterations: config.layerCount + 1) { job in
            var loader = GGUFWeightLoader(gguf: gguf, config: config, precision: precision)
            do throws(FileError) {
                if job == 0 {
                    let embedding = try loader.matrix("token_embd.weight", rows: config.vocabSize, cols: config.hiddenSize)
                    let finalNorm = try loader.vector("output_norm.weight", count: config.hiddenSize)
                    let outputHead = config.tieWordEmbeddings
                        ? embedding
                        : try loader.matrix("output.weight", rows: config.vocabSize, cols: config.hiddenSize)
                    let used = loader.used
                    results.withLock { $0.shared = (embedding, finalNorm, outputHead); $0.used.formUnion(used) }
                } else {
                    let layer = try loader.layer(job - 1)
                    let used = loader.used
                    results.withLock { $0.layers[job - 1] = layer; $0.used.formUnion(used) }
                }
            } catch {
                results.withLock { $0.failures.append((job, error)) }
            }
        }
        let finished = results.withLock { $0 }
        if let failure = finished.failures.min(by: { $0.job < $1.job }) { throw failure.error }
        guard let shared = finished.shared else { throw gguf.error("shared tensors were not loaded") }
        if let unused = gguf.tensors.first(where: { !finished.used.contains($0.name) }) {
            throw gguf.error("tensor \(unused.name) is not used by the \(config.family.rawValue) architecture (\(gguf.tensors.count - finished.used.count) unused in all)")
        }
        self.init(
            config: config, embedding: shared.embedding, layers: finished.layers.compactMap { $0 },
            finalNorm: shared.finalNorm, outputHead: shared.outputHead)
    }
}

/// What the parallel jobs of a GGUF load hand back.
struct GGUFLoadResults: Sendable {
    var shared: (embedding: LinearWeight, finalNorm: [Float], outputHead: LinearWeight)?
    var layers: [LayerWeights?]
    var used: Set<String> = []
    var failures: [(job: Int, error: FileError)] = []

    init(layerCount: Int) {
        layers = Array(repeating: nil, count: layerCount)
    }
}

/// Reads named tensors of a GGUF file with shape checks, remembering which were read.
struct GGUFWeightLoader {
    let gguf: GGUFFile
    let config: ModelConfig
    let precision: WeightPrecision
    private(set) var used: Set<String> = []

    init(gguf: GGUFFile, config: ModelConfig, precision: WeightPrecision) {
        self.gguf = gguf
        self.config = config
        self.precision = precision
    }

    /// The tensor `name`, checked to have `dimensions`, marked used.
    private mutating func tensor(_ name: String, expecting dimensions: [Int]) throws(FileError) -> GGUFTensorInfo {
        guard let tensor = gguf.tensor(named: name) else {
            throw gguf.error("tensor \(name) is missing (expected ne \(dimensions))")
        }
        guard tensor.dimensions == dimensions else {
            throw gguf.error("tensor \(name) has ne \(tensor.dimensions), expected \(dimensions) for this \(config.family.rawValue) configuration")
        }
        used.insert(name)
        return tensor
    }

    private mutating func floats(_ name: String, expecting dimensions: [Int]) throws(FileError) -> [Float] {
        let tensor = try tensor(name, expecting: dimensions)
        return try Dequantization.floats(of: tensor, bytes: gguf.bytes(of: tensor), path: gguf.path)
    }

    /// Decoder layer `index` (`blk.<index>.*`).
    mutating func layer(_ index: Int) throws(FileError) -> LayerWeights {
        let hidden = config.hiddenSize
        let qRows = config.headCount * config.headDim
        let kvRows = config.kvHeadCount * config.headDim
        let unpermute = config.family == .llama
        let biasesRequired = config.family == .qwen2
        let prefix = "blk.\(index)."
        return LayerWeights(
            inputNorm: try vector(prefix + "attn_norm.weight", count: hidden),
            qProj: try matrix(prefix + "attn_q.weight", rows: qRows, cols: hidden, unpermute: unpermute),
            kProj: try matrix(prefix + "attn_k.weight", rows: kvRows, cols: hidden, unpermute: unpermute),
            vProj: try matrix(prefix + "attn_v.weight", rows: kvRows, cols: hidden),
            oProj: try matrix(prefix + "attn_output.weight", rows: hidden, cols: qRows),
            qBias: try bias(prefix + "attn_q.bias", count: qRows, required: biasesRequired, unpermute: unpermute),
            kBias: try bias(prefix + "attn_k.bias", count: kvRows, required: biasesRequired, unpermute: unpermute),
            vBias: try bias(prefix + "attn_v.bias", count: kvRows, required: biasesRequired),
            postAttentionNorm: try vector(prefix + "ffn_norm.weight", count: hidden),
            gateProj: try matrix(prefix + "ffn_gate.weight", rows: config.intermediateSize, cols: hidden),
            upProj: try matrix(prefix + "ffn_up.weight", rows: config.intermediateSize, cols: hidden),
            downProj: try matrix(prefix + "ffn_down.weight", rows: hidden, cols: config.intermediateSize))
    }

    /// A `[rows, cols]` matrix (GGUF ne `[cols, rows]`), optionally un-permuted per head:
    /// kept in its blocks when loading `.quantized` and the type has a quantised
    /// product, dequantised otherwise.
    mutating func matrix(_ name: String, rows: Int, cols: Int, unpermute: Bool = false) throws(FileError) -> LinearWeight {
        let info = try tensor(name, expecting: [cols, rows])
        if precision == .quantized, QuantizedMatrix.supportedTypes.contains(info.type) {
            _ = try gguf.bytes(of: info)
            let blocks = QuantizedMatrix(rows: rows, cols: cols, type: info.type, storage: gguf.file, offset: info.byteRange.lowerBound)
            let headDim = config.headDim
            return .quantized(unpermute
                ? blocks.permutingRows { LlamaRowPermutation.huggingFaceRow(ofGGUFRow: $0, headDim: headDim) }
                : blocks)
        }
        let values = try Dequantization.floats(of: info, bytes: gguf.bytes(of: info), path: gguf.path)
        return .dense(Matrix(rows: rows, cols: cols, values: unpermute ? huggingFaceOrder(values, rows: rows, cols: cols) : values))
    }

    mutating func vector(_ name: String, count: Int) throws(FileError) -> [Float] {
        try floats(name, expecting: [count])
    }

    mutating func bias(_ name: String, count: Int, required: Bool, unpermute: Bool = false) throws(FileError) -> [Float]? {
        guard required || gguf.tensor(named: name) != nil else { return nil }
        let values = try floats(name, expecting: [count])
        return unpermute ? huggingFaceOrder(values, rows: count, cols: 1) : values
    }

    private func huggingFaceOrder(_ values: [Float], rows: Int, cols: Int) -> [Float] {
        let headDim = config.headDim
        return [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            values.withUnsafeBufferPointer { source in
                for row in 0..<rows {
                    let target = LlamaRowPermutation.huggingFaceRow(ofGGUFRow: row, headDim: headDim)
                    (buffer.baseAddress! + target * cols).initialize(from: source.baseAddress! + row * cols, count: cols)
                }
            }
            initialized = values.count
        }
    }
}
