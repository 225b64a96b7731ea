/// The gradient of one decoder layer's parameters, field for field like `LayerWeights`
/// (biases present exactly where the layer has them).
public struct LayerGradients: Sendable, Equatable {
    public var inputNorm: [Float]
    public var qProj: Matrix
    public var kProj: Matrix
    public var vProj: Matrix
    public var oProj: Matrix
    public var qBias: [Float]?
    public var kBias: [Float]?
    public var vBias: [Float]?
    public var postAttentionNorm: [Float]
    public var gateProj: Matrix
    public var upProj: Matrix
    public var downProj: Matrix

    /// Zeros shaped like `layer`.
    public init(zerosLike layer: LayerWeights) {
        func zeros(_ weight: LinearWeight) -> Matrix { Matrix(zeros: weight.rows, weight.cols) }
        func zeros(_ v: [Float]) -> [Float] { [Float](repeating: 0, count: v.count) }
        inputNorm = zeros(layer.inputNorm)
        qProj = zeros(layer.qProj)
        kProj = zeros(layer.kProj)
        vProj = zeros(layer.vProj)
        oProj = zeros(layer.oProj)
        qBias = layer.qBias.map(zeros)
        kBias = layer.kBias.map(zeros)
        vBias = layer.vBias.map(zeros)
        postAttentionNorm = zeros(layer.postAttentionNorm)
        gateProj = zeros(layer.gateProj)
        upProj = zeros(layer.upProj)
        downProj = zeros(layer.downProj)
    }
}

/// The gradient of a loss with respect to a model's parameters, mirroring
/// `ModelWeights`; a frozen part is nil. With tied embeddings the output head's
/// gradient is added into `embedding` and `outputHead` is nil.
public struct ModelGradients: Sendable, Equatable {
    public var embedding: Matrix?
    public var layers: [LayerGradients?]
    public var finalNorm: [Float]?
    public var outputHead: Matrix?

    /// Zeros for the trainable parts of `weights`, nil for the frozen ones.
    public init(zerosFor weights: ModelWeights, trainable: TrainableParameters) {
        let tied = weights.config.tieWordEmbeddings
        embedding = trainable.embedding ? Matrix(zeros: weights.embedding.rows, weights.embedding.cols) : nil
        layers = weights.layers.indices.map { trainable.layers.contains($0) ? LayerGradients(zerosLike: weights.layers[$0]) : nil }
        finalNorm = trainable.finalNorm ? [Float](repeating: 0, count: weights.finalNorm.count) : nil
        outputHead = !tied && trainable.outputHead ? Matrix(zeros: weights.outputHead.rows, weights.outputHead.cols) : nil
    }

    /// Every gradient tensor present, under its Hugging Face parameter name
    /// (`model.layers.0.self_attn.q_proj.weight`, `lm_head.weight`, ...), flattened row-major.
    public var named: [(name: String, values: [Float])] {
        var result: [(name: String, values: [Float])] = []
        if let embedding { result.append((ParameterNames.embedding, embedding.values)) }
        for (index, layer) in layers.enumerated() {
            guard let layer else { continue }
            for parameter in LayerParameter.all where parameter.isPresent(in: layer) {
                result.append((ParameterNames.layer(index, parameter.name), layer[keyPath: parameter.gradient]))
            }
        }
        if let finalNorm { result.append((ParameterNames.finalNorm, finalNorm)) }
        if let outputHead { result.append((ParameterNames.outputHead, outputHead.values)) }
        return result
    }

    /// The Euclidean norm of all gradients together (in Double), for clipping.
    public var globalNorm: Double {
        var sum: Double = 0
        for (_, values) in named {
            for value in values { sum += Double(value) * Double(value) }
        }
        return sum.squareRoot()
    }

    /// Multiplies every gradient by `factor`.
    public mutating func scale(by factor: Float) {
        visitEach { $0 = $0.map { $0 * factor } }
    }

    /// Adds `other` (shaped and frozen alike) into these gradients: gradient accumulation.
    public mutating func add(_ other: ModelGradients) {
        let addends = Dictionary(uniqueKeysWithValues: other.named.map { ($0.name, $0.values) })
        visitNamed { name, values in
            guard let addend = addends[name], addend.count == values.count else {
                preconditionFailure("gradients to add have no tensor \(name) of \(values.count) values")
            }
            for i in values.indices { values[i] += addend[i] }
        }
    }

    private mutating func visitEach(_ body: (inout [Float]) -> Void) {
        visitNamed { _, values in body(&values) }
    }

    /// Calls `body` with the Hugging Face name and the values of every gradient present.
    mutating func visitNamed(_ body: (String, inout [Float]) -> Void) {
        if embedding != nil { body(ParameterNames.embedding, &embedding!.values) }
        for index in layers.indices where layers[index] != nil {
            for parameter in LayerParameter.all where parameter.isPresent(in: layers[index]!) {
                body(ParameterNames.layer(index, parameter.name), &layers[index]![keyPath: parameter.gradient])
            }
        }
        if finalNorm != nil { body(ParameterNames.finalNorm, &finalNorm!) }
        if outputHead != nil { body(ParameterNames.outputHead, &outputHead!.values) }
    }
}

/// Hugging Face parameter names of the Llama / Qwen2 decoder.
enum ParameterNames {
    static let embedding = "model.embed_tokens.weight"
    static let finalNorm = "model.norm.weight"
    static let outputHead = "lm_head.weight"

    static func layer(_ index: Int, _ name: String) -> String { "model.layers.\(index).\(name)" }
}

/// One tensor of a decoder layer: its name inside the layer and where it lives in the
/// weights and in the gradients.
struct LayerParameter {
    let name: String
    let weight: WritableKeyPath<LayerWeights, [Float]>
    let gradient: WritableKeyPath<LayerGradients, [Float]>
    /// Biases are optional; the others are always present.
    let presence: KeyPath<LayerGradients, [Float]?>?

    func isPresent(in layer: LayerGradients) -> Bool {
        presence.map { layer[keyPath: $0] != nil } ?? true
    }

    static var all: [LayerParameter] {
        [
            LayerParameter(name: "self_attn.q_proj.weight", weight: \.qProj.matrix.values, gradient: \.qProj.values, presence: nil),
            LayerParameter(name: "self_attn.q_proj.bias", weight: \.qBias!, gradient: \.qBias!, presence: \.qBias),
            LayerParameter(name: "self_attn.k_proj.weight", weight: \.kProj.matrix.values, gradient: \.kProj.values, presence: nil),
            LayerParameter(name: "self_attn.k_proj.bias", weight: \.kBias!, gradient: \.kBias!, presence: \.kBias),
            LayerParameter(name: "self_attn.v_proj.weight", weight: \.vProj.matrix.values, gradient: \.vProj.values, presence: nil),
            LayerParameter(name: "self_attn.v_proj.bias", weight: \.vBias!, gradient: \.vBias!, presence: \.vBias),
            LayerParameter(name: "self_attn.o_proj.weight", weight: \.oProj.matrix.values, gradient: \.oProj.values, presence: nil),
            LayerParameter(name: "mlp.gate_proj.weight", weight: \.gateProj.matrix.values, gradient: \.gateProj.values, presence: nil),
            LayerParameter(name: "mlp.up_proj.weight", weight: \.upProj.matrix.values, gradient: \.upProj.values, presence: nil),
            LayerParameter(name: "mlp.down_proj.weight", weight: \.downProj.matrix.values, gradient: \.downProj.values, presence: nil),
            LayerParameter(name: "input_layernorm.weight", weight: \.inputNorm, gradient: \.inputNorm, presence: nil),
            LayerParameter(name: "post_attention_layernorm.weight", weight: \.postAttentionNorm, gradient: \.postAttentionNorm, presence: nil),
        ]
    }
}
