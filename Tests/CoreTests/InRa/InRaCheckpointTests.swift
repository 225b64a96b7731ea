import Foundation
import Testing
@testable import Core

@Suite("InRa checkpoints: an adapter trained in front of a plain model loads back as InRa")
struct InRaCheckpointTests {
    @Test("Expanded in memory, adapter trained, checkpoint declares realign_inra; InRaModel.load gives the trained stack")
    func trainedAdapterCheckpoint() throws {
        let file = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2"))
        let expanded = InRaExpansion.expandedWeights(file.weights)
        let sequences = TinyTeacherOutput.sequences(count: 3, seed: 7).map {
            TrainingSequence(id: $0.id, ids: $0.ids, promptLength: $0.promptLength)
        }
        var trainer = try Trainer(weights: expanded, sequences: sequences,
                                  plan: BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: 1 << 20, seed: 0),
                                  objective: .crossEntropy, trainable: .only(layers: [InRaModel.adapterLayer]),
                                  settings: TrainerTests.adamW(steps: 2))
        _ = trainer.trainStep()
        _ = trainer.trainStep()
        #expect(trainer.weights.layers[0] != expanded.layers[0])
        #expect(Array(trainer.weights.layers[1...]) == file.weights.layers)

        let directory = try TinyTeacherOutput.temporaryDirectory("inra-checkpoint") + "/final"
        let model = try CheckpointModel(student: file, inraBaseLayers: file.weights.config.layerCount)
        try TrainingCheckpoint.write(trainer, model: model, run: .object([]), to: directory)
        #expect(try InRaModel.declaredAdapterLayer(directory: directory) == InRaModel.adapterLayer)
        let config = try JSONParser.parse(Array(try #require(FileManager.default.contents(atPath: directory + "/config.json"))))
        #expect(config["realign_inra"] == InRaExpansion.configMember(baseLayers: 4).value)
        let loaded = try InRaModel.load(path: directory)
        #expect(loaded.model.baseLayerCount == file.weights.config.layerCount)
        #expect(loaded.model.transformer.weights == trainer.weights)

        // Without the declaration the directory is an ordinary model.
        let plain = try TinyTeacherOutput.temporaryDirectory("plain-checkpoint") + "/final"
        try TrainingCheckpoint.write(trainer, model: try CheckpointModel(student: file), run: .object([]), to: plain)
        #expect(try InRaModel.declaredAdapterLayer(directory: plain) == nil)
    }
}
