import Foundation
import Testing
@testable import Core

/// One training step of SmolLM2-135M (tied embeddings, 30 layers): the cost of a
/// forward + backward pass and a check that one small SGD step on the same batch lowers
/// the loss. Opt in with `REALIGN_BENCHMARK=1` (release build).
@Suite("SmolLM2-135M training step", .enabled(if: ProcessInfo.processInfo.environment["REALIGN_BENCHMARK"] == "1"))
struct SmolLM2TrainingStepTests {
    @Test("256 tokens, cross-entropy on 192 response rows: all weights, then layer 0 only")
    func trainingStep() throws {
        let weights = try SmolLM2Fixture.transformer.get().weights
        ComputeThreads.set(2)
        var generator = SplitMix64(seed: 256)
        let ids = (0..<256).map { _ in Int32(generator.next() % 49152) }
        let rows = 63..<255
        let targets = Array(ids[64..<256])
        let pass = Backpropagation(config: weights.config, maxPositions: 256)
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

        var full: (loss: LogitLoss, gradients: ModelGradients)?
        let fullTime = clock.measure {
            full = pass.run(weights: weights, trainable: .all(layerCount: 30), sequences: [ids], rows: [rows]) {
                TrainingLoss.crossEntropy(studentLogits: $0, targets: targets)
            }
        }
        let (loss, gradients) = try #require(full)
        #expect(gradients.outputHead == nil && gradients.named.count == 1 + 30 * 9 + 1)
        var stepped = weights
        SGD().step(&stepped, gradients: gradients, learningRate: 1e-3)
        let logits = Transformer(weights: stepped, maxPositions: 256).logits(sequences: [ids], rows: [rows])[0]
        let after = TrainingLoss.crossEntropy(studentLogits: logits, targets: targets).mean
        #expect(after < loss.mean, "loss \(loss.mean) → \(after)")

        var adapterOnly: ModelGradients?
        let adapterTime = clock.measure {
            adapterOnly = pass.run(weights: weights, trainable: .only(layers: [0]), sequences: [ids], rows: [rows]) {
                TrainingLoss.crossEntropy(studentLogits: $0, targets: targets)
            }.gradients
        }
        #expect(try #require(adapterOnly).layers[0] == gradients.layers[0])
        print("""
            SmolLM2 training step, 256 tokens, \(ComputeThreads.count) threads: all weights \
            \(String(format: "%.2f", seconds(fullTime))) s (\(String(format: "%.0f", 256 / seconds(fullTime))) tokens/s), \
            layer 0 only \(String(format: "%.2f", seconds(adapterTime))) s; \
            CE \(String(format: "%.4f", loss.mean)) → \(String(format: "%.4f", after)) after SGD lr 1e-3, \
            gradient norm \(String(format: "%.3f", gradients.globalNorm))
            """)
    }
}
