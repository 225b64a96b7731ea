/// What a decode session generates from.
public enum DecodingModel: Sendable {
    /// One model, one stream.
    case plain(Transformer)
    /// Aligned and unaligned streams over one InRa model's shared weights.
    case inra(InRaModel)
    /// DeRa: a reference and an aligned model, each with its own stream (and, for
    /// `aligned_system`, its own prompt), logits `lambda · aligned + (1 − lambda) · reference`.
    case dera(reference: Transformer, aligned: Transformer)

    /// The transformers the streams run on; a stream names one by index.
    var transformers: [Transformer] {
        switch self {
        case .plain(let transformer): [transformer]
        case .inra(let model): [model.transformer]
        case .dera(let reference, let aligned): [reference, aligned]
        }
    }

    /// The streams of one sequence: transformer index, first layer, weight of its logits
    /// and whether it reads the aligned prompt. Streams of weight 0 are left out, so
    /// `lambda` 0 and 1 cost one stream and give the single model's logits exactly.
    func streams(lambda: Float) -> [(transformer: Int, firstLayer: Int, weight: Float, alignedPrompt: Bool)] {
        let all: [(Int, Int, Float, Bool)]
        switch self {
        case .plain: all = [(0, 0, 1, false)]
        case .inra: all = [(0, InRaModel.adapterLayer, lambda, false), (0, InRaModel.baseFirstLayer, 1 - lambda, false)]
        case .dera: all = [(1, 0, lambda, true), (0, 0, 1 - lambda, false)]
        }
        return all.filter { $0.2 != 0 }.map { (transformer: $0.0, firstLayer: $0.1, weight: $0.2, alignedPrompt: $0.3) }
    }

    var vocabularySize: Int { transformers[0].weights.outputHead.rows }

    /// The longest sequence every transformer can hold.
    var maxPositions: Int { transformers.map(\.rotary.positions).min()! }
}
