import Foundation
import Testing
@testable import Core

/// The training loop on the tiny models: data from a teacher output directory, the
/// whole trainer against the TrRa goldens, loss going down, gradient accumulation,
/// InRa freezing, checkpoints and exact resumption.
@Suite("Trainer")
struct TrainerTests {
    static func teacherDirectory(count: Int = 12, seed: UInt64 = 7) throws -> (String, [TinyTeacherOutput.Sequence]) {
        let directory = try TinyTeacherOutput.temporaryDirectory("teacher")
        let sequences = TinyTeacherOutput.sequences(count: count, seed: seed)
        try TinyTeacherOutput.write(sequences, to: directory)
        return (directory, sequences)
    }

    static func adamW(steps: Int, accumulation: Int = 1, lr: Double = 1e-2) -> TrainingSettings {
        TrainingSettings(optimizer: .adamw, learningRate: lr, warmupRatio: 0.1, totalSteps: steps,
                         gradientAccumulation: accumulation, clipNorm: 1.0)
    }

    @Test("Sequences come from the shards exactly: ids, prompt lengths, the lambda's top-k rows")
    func readsTeacherOutput() throws {
        let (directory, written) = try Self.teacherDirectory()
        let sequences = try TrainingData.teacherOutput(directory: directory, lambdaTag: "2.0")
        #expect(sequences.map(\.id) == written.map(\.id))
        #expect(sequences.map(\.ids) == written.map(\.ids))
        #expect(sequences.map(\.promptLength) == written.map(\.promptLength))
        let ref = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2"))
        let aligned = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2-aligned"))
        let third = written[2]
        let rows = (third.promptLength - 1)..<(third.ids.count - 1)
        let fused = Fusion.fuse(ref: ref.logits(sequences: [third.ids], rows: [rows])[0],
                                aligned: aligned.logits(sequences: [third.ids], rows: [rows])[0],
                                lambdas: [2.0], topK: 16, targets: Array(third.ids[third.promptLength...]))[0]
        #expect(sequences[2].teacherTopK == TopKRows(k: 16, ids: fused.topKIds, logProbs: fused.topKLogProbs))
        #expect(try TrainingData.teacherOutput(directory: directory, lambdaTag: "2.0", limit: 5).count == 5)
        #expect(throws: TrainingDataError.self) { try TrainingData.teacherOutput(directory: directory, lambdaTag: "0.5") }
    }

    @Test("Token-budget packing and the seeded epoch order")
    func batchPlan() {
        let plan = BatchPlan(sequenceLengths: [5, 5, 5, 12, 3, 3, 3, 1], tokenBudget: 10, seed: 3)
        #expect(plan.microBatches == [0..<2, 2..<3, 3..<4, 4..<8])
        let order = plan.order(epoch: 0)
        #expect(order.sorted() == [0, 1, 2, 3])
        #expect(order == plan.order(epoch: 0))
        #expect((0..<8).map(plan.order(epoch:)).contains { $0 != order })
        #expect(BatchPlan(sequenceLengths: [5, 5, 5], tokenBudget: 5, seed: 3, shuffles: false).order(epoch: 4) == [0, 1, 2])
        var cursor = DataCursor()
        var visited: [Range<Int>] = []
        for _ in 0..<5 {
            let (batch, next) = plan.microBatch(at: cursor)
            visited.append(batch)
            cursor = next
        }
        #expect(visited == order.map { plan.microBatches[$0] } + [plan.microBatches[plan.order(epoch: 1)[0]]])
        #expect(cursor == DataCursor(epoch: 1, position: 1))
    }

    /// The trainer's first step against the goldens: online teacher at λ = 2 from the two
    /// tiny models, sequence B with a prompt of 10, plain SGD at 0.1.
    @Test("Online TrRa step: the golden loss, then the golden loss after one SGD step", arguments: KLDirection.allCases)
    func onlineStepMatchesGoldens(direction: KLDirection) throws {
        let student = try TinyModelFixture.weights("tiny-qwen2")
        let ref = Transformer(weights: student)
        let aligned = Transformer(weights: try TinyModelFixture.weights("tiny-qwen2-aligned"))
        let b = try #require(try TinyModelFixture.sequences()["B"])
        let golden = try TinyModelFixture.golden("trra-loss.safetensors")
        let sequences = [TrainingSequence(id: "B", ids: b, promptLength: 10)]
        let settings = TrainingSettings(optimizer: .sgd, learningRate: 0.1, warmupRatio: nil, totalSteps: 2,
                                        gradientAccumulation: 1, clipNorm: nil)
        var trainer = try Trainer(
            weights: student, sequences: sequences, plan: BatchPlan(sequenceLengths: [b.count], tokenBudget: 64, seed: 0),
            objective: .distillOnline(ref: ref, aligned: aligned, lambda: 2.0, direction: direction),
            trainable: .all(layerCount: 4), settings: settings)
        let first = trainer.trainStep()
        let second = trainer.trainStep()
        let before = Double(try golden.floats("loss_\(direction.rawValue)")[0])
        let after = Double(try golden.floats("sgd/loss_\(direction.rawValue)_after_step")[0])
        print("\(direction): loss \(first.loss) (golden \(before)), after one step \(second.loss) (golden \(after))")
        #expect(first.responseRows == 23 && first.tokens == 33 && first.learningRate == 0.1)
        #expect(abs(first.loss - before) <= 1e-5)
        #expect(abs(second.loss - after) <= 1e-4)
    }

    @Test("Offline TrRa with AdamW lowers the KL to the teacher; the first loss is the KL of the untrained student")
    func lossDecreases() throws {
        let (directory, _) = try Self.teacherDirectory()
        let sequences = try TrainingData.teacherOutput(directory: directory, lambdaTag: "2.0")
        let student = try TinyModelFixture.weights("tiny-qwen2")
        let plan = BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: 1 << 20, seed: 0)
        var trainer = try Trainer(weights: student, sequences: sequences, plan: plan, objective: .distillTopK(direction: .forward),
                                  trainable: .all(layerCount: 4), settings: Self.adamW(steps: 8, lr: 3e-3))
        let before = ResponseEvaluation.run(model: Transformer(weights: student), sequences: sequences)
        let reports = (0..<8).map { _ in trainer.trainStep() }
        let after = ResponseEvaluation.run(model: Transformer(weights: trainer.weights), sequences: sequences)
        let (forwardBefore, forwardAfter) = (try #require(before.forwardKL), try #require(after.forwardKL))
        let (reverseBefore, reverseAfter) = (try #require(before.reverseKL), try #require(after.reverseKL))
        print("forward KL \(forwardBefore) -> \(forwardAfter); losses \(reports.map(\.loss))")
        #expect(abs(reports[0].loss - forwardBefore) <= 1e-9)
        #expect(reports[0].learningRate == 0 && reports[1].learningRate == 3e-3)
        #expect(reports.last!.loss < reports[1].loss * 0.8)
        #expect(forwardAfter < forwardBefore * 0.8 && reverseAfter < reverseBefore)
        #expect(after.responseTokens == sequences.reduce(0) { $0 + $1.lossRows.count })
    }

    @Test("Accumulated micro-batches give the step of one batch holding them all")
    func gradientAccumulation() throws {
        let (directory, _) = try Self.teacherDirectory(count: 6)
        let sequences = try TrainingData.teacherOutput(directory: directory, lambdaTag: "2.0")
        let student = try TinyModelFixture.weights("tiny-qwen2")
        let lengths = sequences.map(\.ids.count)
        let split = BatchPlan(sequenceLengths: lengths, tokenBudget: 40, seed: 0)
        #expect(split.microBatches.count >= 2)
        let sgd = TrainingSettings(optimizer: .sgd, learningRate: 0.1, warmupRatio: nil, totalSteps: 1,
                                   gradientAccumulation: split.microBatches.count, clipNorm: nil)
        var accumulated = try Trainer(weights: student, sequences: sequences, plan: split, objective: .distillTopK(direction: .forward),
                                      trainable: .all(layerCount: 4), settings: sgd)
        var whole = sgd
        whole.gradientAccumulation = 1
        var single = try Trainer(weights: student, sequences: sequences, plan: BatchPlan(sequenceLengths: lengths, tokenBudget: 1 << 20, seed: 0),
                                 objective: .distillTopK(direction: .forward), trainable: .all(layerCount: 4), settings: whole)
        let a = accumulated.trainStep(), b = single.trainStep()
        #expect(a.responseRows == b.responseRows && a.tokens == b.tokens)
        #expect(abs(a.loss - b.loss) <= 1e-6 * b.loss)
        #expect(abs(a.gradientNorm - b.gradientNorm) <= 1e-5 * b.gradientNorm)
        let difference = maxAbsDifference(accumulated.weights.layers[2].qProj.matrix.values, single.weights.layers[2].qProj.matrix.values)
        #expect(difference <= 1e-6)
    }

    @Test("InRa: only layer 0 changes and only it has optimiser state")
    func inraTrainsOnlyTheAdapter() throws {
        let expanded = try TinyModelFixture.weights("tiny-qwen2-inra-perturbed")
        let sequences = TinyTeacherOutput.sequences(count: 4, seed: 11).map { TrainingSequence(id: $0.id, ids: $0.ids, promptLength: $0.promptLength) }
        var trainer = try Trainer(weights: expanded, sequences: sequences,
                                  plan: BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: 1 << 20, seed: 0),
                                  objective: .crossEntropy, trainable: .only(layers: [0]), settings: Self.adamW(steps: 3))
        let losses = (0..<3).map { _ in trainer.trainStep().loss }
        #expect(losses[2] < losses[0])
        #expect(trainer.weights.layers[0] != expanded.layers[0])
        #expect(Array(trainer.weights.layers[1...]) == Array(expanded.layers[1...]))
        #expect(trainer.weights.embedding == expanded.embedding && trainer.weights.outputHead == expanded.outputHead
            && trainer.weights.finalNorm == expanded.finalNorm)
        guard case .adamw(let adamW) = trainer.optimizer else { Issue.record("not AdamW"); return }
        #expect(!adamW.firstMoments.isEmpty && adamW.firstMoments.keys.allSatisfy { $0.hasPrefix("model.layers.0.") })
        #expect(adamW.firstMoments.count == 12)
    }

    @Test("A checkpoint loads back as the same weights", arguments: ["tiny-qwen2", "tiny-llama"])
    func checkpointReload(model: String) throws {
        let file = try ModelLoader.load(path: TestPaths.fixture(model))
        let sequences = TinyTeacherOutput.sequences(count: 3, seed: 5).map { TrainingSequence(id: $0.id, ids: $0.ids, promptLength: $0.promptLength) }
        var trainer = try Trainer(weights: file.weights, sequences: sequences,
                                  plan: BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: 1 << 20, seed: 0),
                                  objective: .crossEntropy, trainable: .all(layerCount: 4), settings: Self.adamW(steps: 2))
        _ = trainer.trainStep()
        _ = trainer.trainStep()
        let directory = try TinyTeacherOutput.temporaryDirectory("checkpoint") + "/final"
        let checkpointModel = try CheckpointModel(student: file)
        #expect(checkpointModel.tokenizer == nil && checkpointModel.eosTokenIDs == [2])
        try TrainingCheckpoint.write(trainer, model: checkpointModel, run: .object([]), to: directory)
        let reloaded = try ModelLoader.load(path: directory)
        #expect(reloaded.weights == trainer.weights)
        #expect(reloaded.weights.config == file.weights.config)
        #expect(reloaded.stopTokenIds == [2])
        let names = try SafetensorsFile(path: directory + "/model.safetensors").tensorNames
        #expect(names.contains("lm_head.weight") == !file.weights.config.tieWordEmbeddings)
        #expect(!FileManager.default.fileExists(atPath: directory + ".partial"))
        let written = FileManager.default.contents(atPath: directory + "/model.safetensors").map { [UInt8]($0) }
        #expect(written == HuggingFaceModelFiles.weightsWriter(trainer.weights).serialized())
    }

    /// Six steps straight against three, a checkpoint, a fresh trainer from it, three more.
    @Test("Resuming from a checkpoint gives bit-identical weights and optimiser state", arguments: [1, 2])
    func resumeIsExact(accumulation: Int) throws {
        let (teacher, _) = try Self.teacherDirectory()
        let sequences = try TrainingData.teacherOutput(directory: teacher, lambdaTag: "2.0")
        let student = try TinyModelFixture.weights("tiny-qwen2")
        let plan = BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: 60, seed: 9)
        let settings = Self.adamW(steps: 6, accumulation: accumulation)
        func fresh() throws -> Trainer {
            try Trainer(weights: student, sequences: sequences, plan: plan, objective: .distillTopK(direction: .reverse),
                        trainable: .all(layerCount: 4), settings: settings)
        }
        var straight = try fresh()
        let straightReports = (0..<6).map { _ in straight.trainStep() }

        var interrupted = try fresh()
        for _ in 0..<3 { _ = interrupted.trainStep() }
        let out = try TinyTeacherOutput.temporaryDirectory("resume")
        let run = JSONValue.object([JSONMember("lr", .double(settings.learningRate))])
        try TrainingCheckpoint.write(interrupted, model: CheckpointModel(tokenizer: nil, bosTokenID: nil, eosTokenIDs: [2]), run: run,
                                     to: out + "/" + TrainingCheckpoint.directoryName(step: 3))
        let checkpoint = try #require(TrainingCheckpoint.latest(in: out))
        #expect(checkpoint.hasSuffix("/checkpoint-3"))
        let (state, optimizer) = try TrainingCheckpoint.readState(checkpoint, settings: settings)
        #expect(state.step == 3 && state.cursor == interrupted.cursor && state.run == run)
        #expect(optimizer == interrupted.optimizer)
        var resumed = try Trainer(weights: try ModelLoader.loadHuggingFace(directory: checkpoint).weights, sequences: sequences,
                                  plan: plan, objective: .distillTopK(direction: .reverse), trainable: .all(layerCount: 4),
                                  settings: settings, optimizer: optimizer, step: state.step, cursor: state.cursor)
        let resumedReports = (0..<3).map { _ in resumed.trainStep() }
        #expect(resumed.isFinished)
        #expect(resumedReports == Array(straightReports[3...]))
        #expect(resumed.weights == straight.weights)
        #expect(resumed.optimizer == straight.optimizer)
        #expect(resumed.cursor == straight.cursor)
    }
}
