import Foundation
import Testing
@testable import Core

/// The whole training pass on small random models: sampled entries of every parameter
/// tensor against finite differences of the inference forward pass (`Transformer`),
/// tied embeddings, and freezing.
@Suite("Gradient checks of the whole model, tied embeddings and freezing")
struct ModelGradientCheckTests {
    static let sequences: [[Int32]] = [[3, 17, 5, 3, 29, 11, 0, 8], [31, 2, 2, 9, 14]]
    static let rows = [3..<7, 1..<5]

    /// A fixed teacher: the log-softmax of random logits over the loss rows.
    static func teacher(vocab: Int) -> Matrix {
        var generator = SplitMix64(seed: 99)
        let count = rows.reduce(0) { $0 + $1.count }
        let logits = Matrix(rows: count, cols: vocab, values: GradientCheck.random(count * vocab, &generator, in: -2...2))
        return Fusion.fusedLogProbs(ref: logits, aligned: logits, lambda: 0)
    }

    static func loss(_ weights: ModelWeights, teacher: Matrix, direction: KLDirection) -> Double {
        let logits = Transformer(weights: weights).logits(sequences: sequences, rows: rows)
        let stacked = Matrix(rows: teacher.rows, cols: teacher.cols, values: logits.flatMap(\.values))
        return TrainingLoss.kl(studentLogits: stacked, teacherLogProbs: teacher, direction: direction).mean
    }

    static func gradients(_ weights: ModelWeights, trainable: TrainableParameters, teacher: Matrix, direction: KLDirection)
        -> (loss: LogitLoss, gradients: ModelGradients) {
        Backpropagation(config: weights.config).run(weights: weights, trainable: trainable, sequences: sequences, rows: rows) {
            TrainingLoss.kl(studentLogits: $0, teacherLogProbs: teacher, direction: direction)
        }
    }

    @Test("Sampled entries of every tensor match finite differences",
          arguments: [(ModelFamily.llama, true, KLDirection.forward), (.qwen2, false, .reverse), (.qwen2, true, .forward)])
    func wholeModel(family: ModelFamily, tied: Bool, direction: KLDirection) throws {
        let weights = RandomModel.make(family: family, tied: tied, seed: tied ? 5 : 6)
        let teacher = Self.teacher(vocab: weights.config.vocabSize)
        let (loss, gradients) = Self.gradients(weights, trainable: .all(layerCount: 2), teacher: teacher, direction: direction)
        #expect(abs(loss.mean - Self.loss(weights, teacher: teacher, direction: direction)) <= 1e-6)
        let named = gradients.named
        #expect(named.contains { $0.name == "lm_head.weight" } == !tied)
        #expect(named.contains { $0.name.hasSuffix("q_proj.bias") } == (family == .qwen2))
        #expect(named.count == 1 + 2 * (family == .qwen2 ? 12 : 9) + 1 + (tied ? 0 : 1))
        var generator = SplitMix64(seed: 7)
        var worst = 0.0
        for (name, analytic) in named {
            let indices = (0..<6).map { _ in Int(generator.next() % UInt64(analytic.count)) }
            let numerical = GradientCheck.numerical(Self.values(weights, name), epsilon: 1e-2, indices: indices) { values in
                Self.loss(Self.replacing(weights, name, with: values), teacher: teacher, direction: direction)
            }
            let error = numerical.map { abs(Double(analytic[$0.key]) - $0.value) }.max() ?? 0
            let scale = max(1e-2, analytic.map { abs(Double($0)) }.max() ?? 0)
            worst = max(worst, error / scale)
            #expect(error <= 2e-3 * scale, "\(name): max abs error \(error), largest gradient \(scale)")
        }
        print("\(family) tied \(tied) \(direction): worst sampled error / largest gradient = \(worst)")
    }

    @Test("Frozen parameters get no gradient; the trainable layer's gradient is unchanged", arguments: [0, 1])
    func freezing(layer: Int) throws {
        let weights = RandomModel.make(family: .qwen2, tied: false, layers: 3, seed: 8)
        let teacher = Self.teacher(vocab: weights.config.vocabSize)
        let full = Self.gradients(weights, trainable: .all(layerCount: 3), teacher: teacher, direction: .forward)
        let frozen = Self.gradients(weights, trainable: .only(layers: [layer]), teacher: teacher, direction: .forward)
        #expect(frozen.loss == full.loss)
        #expect(frozen.gradients.embedding == nil && frozen.gradients.finalNorm == nil && frozen.gradients.outputHead == nil)
        for index in 0..<3 {
            if index == layer {
                #expect(frozen.gradients.layers[index] == full.gradients.layers[index])
            } else {
                #expect(frozen.gradients.layers[index] == nil)
            }
        }
        #expect(frozen.gradients.named.allSatisfy { $0.name.hasPrefix("model.layers.\(layer).") })
        #expect(frozen.gradients.named.count == 12)
    }

    @Test("A tied head's gradient is added into the embedding's")
    func tiedGradientSums() throws {
        let tied = RandomModel.make(family: .llama, tied: true, seed: 9)
        var untied = tied
        untied.config.tieWordEmbeddings = false
        let teacher = Self.teacher(vocab: tied.config.vocabSize)
        let tiedGradients = Self.gradients(tied, trainable: .all(layerCount: 2), teacher: teacher, direction: .reverse).gradients
        let untiedGradients = Self.gradients(untied, trainable: .all(layerCount: 2), teacher: teacher, direction: .reverse).gradients
        let sum = zip(try #require(untiedGradients.embedding).values, try #require(untiedGradients.outputHead).values).map { $0 + $1 }
        #expect(maxAbsDifference(try #require(tiedGradients.embedding).values, sum) <= 1e-6)
        #expect(tiedGradients.outputHead == nil)
        // An SGD step keeps the head tied to the updated embedding.
        var stepped = tied
        SGD().step(&stepped, gradients: tiedGradients, learningRate: 0.5)
        #expect(stepped.outputHead == stepped.embedding && stepped.embedding != tied.embedding)
    }

    @Test("Two sequences in one batch: the summed gradient of their separate passes")
    func batchedGradients() throws {
        let weights = RandomModel.make(family: .qwen2, tied: false, seed: 10)
        let teacher = Self.teacher(vocab: weights.config.vocabSize)
        let pass = Backpropagation(config: weights.config)
        let batched = Self.gradients(weights, trainable: .all(layerCount: 2), teacher: teacher, direction: .forward)
        let total = teacher.rows
        var summed: ModelGradients?
        var start = 0
        for (sequence, range) in zip(Self.sequences, Self.rows) {
            let part = Matrix(rows: range.count, cols: teacher.cols,
                              values: Array(teacher.values[start * teacher.cols..<(start + range.count) * teacher.cols]))
            start += range.count
            let gradients = pass.run(weights: weights, trainable: .all(layerCount: 2), sequences: [sequence], rows: [range]) {
                TrainingLoss.kl(studentLogits: $0, teacherLogProbs: part, direction: .forward, meanOver: total)
            }.gradients
            if summed == nil { summed = gradients } else { summed!.add(gradients) }
        }
        for ((name, a), (_, b)) in zip(batched.gradients.named, try #require(summed).named) {
            #expect(maxAbsDifference(a, b) <= 1e-6, "\(name)")
        }
    }

    static func values(_ weights: ModelWeights, _ name: String) -> [Float] {
        var found: [Float] = []
        var copy = weights
        copy.update(with: ModelGradients(zerosFor: weights, trainable: .all(layerCount: weights.layers.count))) { parameterName, parameter, _ in
            if parameterName == name { found = parameter }
        }
        return found
    }

    static func replacing(_ weights: ModelWeights, _ name: String, with values: [Float]) -> ModelWeights {
        var copy = weights
        copy.update(with: ModelGradients(zerosFor: weights, trainable: .all(layerCount: weights.layers.count))) { parameterName, parameter, _ in
            if parameterName == name { parameter = values }
        }
        return copy
    }
}
