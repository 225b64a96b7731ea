import Foundation
import Testing
@testable import Core

@Suite("Optimisers, gradient clipping and the learning-rate schedule")
struct OptimizerTests {
    /// Gradients for layer 0 only, every value `fill(name, index)`.
    static func gradients(_ weights: ModelWeights, _ fill: (String, Int) -> Float) -> ModelGradients {
        var gradients = ModelGradients(zerosFor: weights, trainable: .only(layers: [0]))
        gradients.visitNamed { name, values in
            for i in values.indices { values[i] = fill(name, i) }
        }
        return gradients
    }

    static func parameter(_ weights: ModelWeights, _ name: String) -> [Float] {
        ModelGradientCheckTests.values(weights, name)
    }

    @Test("SGD is p − lr·grad on trainable parameters and leaves frozen ones alone")
    func sgd() {
        let weights = RandomModel.make(family: .qwen2, tied: false, seed: 21)
        let gradients = Self.gradients(weights) { _, i in Float(i % 7) - 3 }
        var stepped = weights
        SGD().step(&stepped, gradients: gradients, learningRate: 0.25)
        for (name, gradient) in gradients.named {
            let before = Self.parameter(weights, name), after = Self.parameter(stepped, name)
            #expect(after == zip(before, gradient).map { $0 - 0.25 * $1 }, "\(name)")
        }
        #expect(stepped.layers[1] == weights.layers[1] && stepped.embedding == weights.embedding)
        #expect(stepped.finalNorm == weights.finalNorm && stepped.outputHead == weights.outputHead)
    }

    @Test("AdamW: two steps by hand, decoupled decay on matrices only, state for trainable parameters only")
    func adamW() {
        let weights = RandomModel.make(family: .qwen2, tied: false, seed: 22)
        let settings = AdamW.Settings(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        var optimizer = AdamW(settings: settings)
        let first = Self.gradients(weights) { _, i in Float(i % 5) - 2.5 }
        let second = Self.gradients(weights) { _, i in 0.5 * Float(i % 3) - 0.25 }
        var stepped = weights
        let rates = [1e-2, 5e-3]
        optimizer.step(&stepped, gradients: first, learningRate: rates[0])
        optimizer.step(&stepped, gradients: second, learningRate: rates[1])
        #expect(optimizer.stepCount == 2)
        #expect(Set(optimizer.firstMoments.keys) == Set(first.named.map(\.name)))
        #expect(Set(optimizer.secondMoments.keys) == Set(first.named.map(\.name)))
        #expect(optimizer.decays("model.layers.0.mlp.up_proj.weight"))
        #expect(!optimizer.decays("model.layers.0.self_attn.q_proj.bias") && !optimizer.decays("model.layers.0.input_layernorm.weight"))
        for name in ["model.layers.0.mlp.up_proj.weight", "model.layers.0.self_attn.k_proj.bias", "model.layers.0.input_layernorm.weight"] {
            let start = Self.parameter(weights, name), end = Self.parameter(stepped, name)
            let g1 = Dictionary(uniqueKeysWithValues: first.named.map { ($0.name, $0.values) })[name]!
            let g2 = Dictionary(uniqueKeysWithValues: second.named.map { ($0.name, $0.values) })[name]!
            let decay = optimizer.decays(name) ? 0.1 : 0
            for i in start.indices {
                var p = Double(start[i]), m = 0.0, v = 0.0
                for (t, (g, lr)) in zip([Double(g1[i]), Double(g2[i])], rates).enumerated() {
                    p *= 1 - lr * decay
                    m = 0.9 * m + 0.1 * g
                    v = 0.999 * v + 0.001 * g * g
                    let step = Double(t + 1)
                    p -= lr / (1 - pow(0.9, step)) * m / (v.squareRoot() / (1 - pow(0.999, step)).squareRoot() + 1e-8)
                }
                #expect(abs(Double(end[i]) - p) <= 1e-6, "\(name)[\(i)]: \(end[i]) vs \(p)")
            }
        }
        #expect(stepped.layers[1] == weights.layers[1] && stepped.embedding == weights.embedding)
    }

    @Test("Clipping by global norm scales only when the norm exceeds the limit")
    func clipping() {
        let weights = RandomModel.make(family: .llama, tied: true, seed: 23)
        // Two non-zero entries, 3 and 4: a global norm of 5.
        let gradients = Self.gradients(weights) { name, i in
            if name.hasSuffix("q_proj.weight") && i == 0 { return 3 }
            if name.hasSuffix("input_layernorm.weight") && i == 1 { return 4 }
            return 0
        }
        #expect(abs(gradients.globalNorm - 5) <= 1e-12)
        var loose = gradients
        #expect(GradientClipping.clipByGlobalNorm(&loose, maxNorm: 10) == 5)
        #expect(loose == gradients)
        var tight = gradients
        #expect(GradientClipping.clipByGlobalNorm(&tight, maxNorm: 1) == 5)
        #expect(abs(tight.globalNorm - 1 / (1 + 2e-7)) <= 1e-6)
        #expect(abs(tight.layers[0]!.qProj.values[0] - 0.6) <= 1e-6)
    }

    @Test("Linear warm-up then cosine decay, as Hugging Face's schedule")
    func schedule() {
        let schedule = LearningRateSchedule(peak: 2e-5, warmupSteps: 10, totalSteps: 110)
        let expected: [(Int, Double)] = [(0, 0), (5, 1e-5), (10, 2e-5), (60, 1e-5), (110, 0), (120, 0)]
        for (step, rate) in expected {
            #expect(abs(schedule.rate(atStep: step) - rate) <= 1e-15, "step \(step)")
        }
        #expect(abs(schedule.rate(atStep: 35) - 2e-5 * 0.5 * (1 + cos(Double.pi * 0.25))) <= 1e-15)
        #expect(LearningRateSchedule(peak: 1, warmupRatio: 0.1, totalSteps: 25).warmupSteps == 3)
        #expect(LearningRateSchedule(peak: 1, warmupRatio: 0.1, totalSteps: 0).rate(atStep: 0) == 1)
    }
}

@Suite("Teacher rows from top-k targets")
struct TopKTeacherTests {
    @Test("Top-k values kept, the rest of the mass spread evenly, rows normalised")
    func uniformTail() throws {
        let ids: [Int32] = [3, 0, 1, 2]
        let logProbs: [Float] = [log(0.5), log(0.25), log(0.9), log(0.05)]
        let rows = TopKTeacher.logProbs(ids: ids, logProbs: logProbs, topK: 2, vocab: 5)
        #expect(rows.rows == 2 && rows.cols == 5)
        let first = rows.values[0..<5].map { exp(Double($0)) }
        #expect(abs(first[3] - 0.5) <= 1e-6 && abs(first[0] - 0.25) <= 1e-6)
        for v in [1, 2, 4] { #expect(abs(first[v] - 0.25 / 3) <= 1e-6) }
        let second = rows.values[5..<10].map { exp(Double($0)) }
        for v in [0, 3, 4] { #expect(abs(second[v] - 0.05 / 3) <= 1e-6) }
        #expect(abs(first.reduce(0, +) - 1) <= 1e-6 && abs(second.reduce(0, +) - 1) <= 1e-6)
        // A top-k whose mass rounds to 1 leaves a tail of ulpOfOne, still finite.
        let full = TopKTeacher.logProbs(ids: [0, 1], logProbs: [log(0.6), log(0.4000001)], topK: 2, vocab: 4)
        #expect(full.values.allSatisfy { $0.isFinite })
        #expect(abs(Double(full.values[2]) - log(Double.ulpOfOne / 2)) <= 1e-4)
    }

    @Test("From the fleet's fused targets: finite KL both ways, equal to the full teacher when k = vocab")
    func fromFusedTargets() throws {
        let setup = try TrRaLossGoldenTests.setup()
        let ref = Transformer(weights: setup.student).logits(sequences: [setup.sequence], rows: [TrRaLossGoldenTests.lossRows])[0]
        let aligned = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2-aligned"))
            .logits(sequences: [setup.sequence], rows: [TrRaLossGoldenTests.lossRows])[0]
        let targets = [Int32](repeating: 0, count: ref.rows)
        let everything = Fusion.fuse(ref: ref, aligned: aligned, lambdas: [2.0], topK: 256, targets: targets)[0]
        let rebuilt = TopKTeacher.logProbs(everything, vocab: 256)
        let tail = TopKTeacher.logProbs(Fusion.fuse(ref: ref, aligned: aligned, lambdas: [2.0], topK: 8, targets: targets)[0], vocab: 256)
        for direction in KLDirection.allCases {
            let exact = TrainingLoss.kl(studentLogits: ref, teacherLogProbs: setup.teacher, direction: direction).mean
            let fromAll = TrainingLoss.kl(studentLogits: ref, teacherLogProbs: rebuilt, direction: direction).mean
            let fromTopK = TrainingLoss.kl(studentLogits: ref, teacherLogProbs: tail, direction: direction).mean
            #expect(abs(exact - fromAll) <= 1e-6, "\(direction)")
            #expect(fromTopK.isFinite && fromTopK > 0, "\(direction): \(fromTopK)")
        }
    }
}
