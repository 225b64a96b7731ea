import Foundation
import Testing
@testable import Core

/// The TrRa goldens: student = tiny-qwen2, teacher = fused(tiny-qwen2, tiny-qwen2-aligned)
/// at λ = 2 on sequence B with a prompt of 10 tokens, loss rows 9...31.
@Suite("TrRa losses, gradients and one SGD step against the goldens")
struct TrRaLossGoldenTests {
    static let lossRows = 9..<32
    static let lambda = 2.0

    struct Setup {
        var student: ModelWeights
        var sequence: [Int32]
        var teacher: Matrix
        var golden: SafetensorsFile
        var parameterNames: [String]
    }

    static func setup() throws -> Setup {
        let student = try TinyModelFixture.weights("tiny-qwen2")
        let aligned = try TinyModelFixture.weights("tiny-qwen2-aligned")
        let sequence = try #require(try TinyModelFixture.sequences()["B"])
        let ref = Transformer(weights: student).logits(sequences: [sequence], rows: [lossRows])[0]
        let alignedLogits = Transformer(weights: aligned).logits(sequences: [sequence], rows: [lossRows])[0]
        let teacher = Fusion.fusedLogProbs(ref: ref, aligned: alignedLogits, lambda: lambda)
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("goldens/trra-loss.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let names = try #require(json["parameter_names"] as? [String])
        #expect(json["prompt_len"] as? Int == 10 && json["lam"] as? Double == lambda)
        return Setup(student: student, sequence: sequence, teacher: teacher,
                     golden: try TinyModelFixture.golden("trra-loss.safetensors"), parameterNames: names)
    }

    static func lossAndGradients(_ setup: Setup, weights: ModelWeights, direction: KLDirection) -> (loss: LogitLoss, gradients: ModelGradients) {
        let pass = Backpropagation(config: weights.config)
        return pass.run(weights: weights, trainable: .all(layerCount: weights.layers.count),
                        sequences: [setup.sequence], rows: [lossRows]) { logits in
            TrainingLoss.kl(studentLogits: logits, teacherLogProbs: setup.teacher, direction: direction)
        }
    }

    @Test("The teacher rows are the golden fused log-probs")
    func teacherRows() throws {
        let setup = try Self.setup()
        let diff = maxAbsDifference(setup.teacher.values, try setup.golden.floats("teacher_logprobs"))
        print("teacher_logprobs max abs diff \(diff)")
        #expect(diff <= 3e-4, "max abs diff \(diff)")
    }

    @Test("Loss, per-position KL and every parameter's gradient", arguments: KLDirection.allCases)
    func lossAndGradients(direction: KLDirection) throws {
        let setup = try Self.setup()
        let (loss, gradients) = Self.lossAndGradients(setup, weights: setup.student, direction: direction)
        let goldenLoss = Double(try setup.golden.floats("loss_\(direction.rawValue)")[0])
        print("\(direction) loss \(loss.mean) golden \(goldenLoss) diff \(abs(loss.mean - goldenLoss))")
        #expect(abs(loss.mean - goldenLoss) <= 1e-5)

        let goldenRows = try setup.golden.floats("per_position/\(direction.rawValue)_kl")
        #expect(loss.perRow.count == 23)
        let rowDiff = zip(loss.perRow, goldenRows).map { abs($0 - Double($1)) }.max() ?? .infinity
        print("\(direction) per-position max abs diff \(rowDiff)")
        #expect(rowDiff <= 1e-5)

        let named = gradients.named
        #expect(Set(named.map(\.name)) == Set(setup.parameterNames))
        #expect(named.count == setup.parameterNames.count)
        var worstRatio: Float = 0
        for (name, values) in named {
            let golden = try setup.golden.floats("grad_\(direction.rawValue)/\(name)")
            #expect(values.count == golden.count, "\(name)")
            let scale = golden.reduce(0) { max($0, abs($1)) }
            let diff = maxAbsDifference(values, golden)
            let bound = 1e-4 * scale + 1e-7
            worstRatio = max(worstRatio, diff / bound)
            #expect(diff <= bound, "\(direction) \(name): max abs diff \(diff), bound \(bound)")
        }
        print("\(direction) gradients: worst max-abs-diff / bound = \(worstRatio)")
    }

    @Test("The loss after one plain SGD step with lr 0.1", arguments: KLDirection.allCases)
    func lossAfterSGDStep(direction: KLDirection) throws {
        let setup = try Self.setup()
        var weights = setup.student
        let (_, gradients) = Self.lossAndGradients(setup, weights: weights, direction: direction)
        SGD().step(&weights, gradients: gradients, learningRate: 0.1)
        #expect(weights != setup.student)
        let logits = Transformer(weights: weights).logits(sequences: [setup.sequence], rows: [Self.lossRows])[0]
        let after = TrainingLoss.kl(studentLogits: logits, teacherLogProbs: setup.teacher, direction: direction).mean
        let golden = Double(try setup.golden.floats("sgd/loss_\(direction.rawValue)_after_step")[0])
        print("\(direction) loss after SGD step \(after) golden \(golden) diff \(abs(after - golden))")
        #expect(abs(after - golden) <= 1e-5)
    }
}
