/// The optimiser and its state.
public enum Optimizer: Sendable, Equatable {
    case adamw(AdamW)
    case sgd

    mutating func step(_ weights: inout ModelWeights, gradients: ModelGradients, learningRate: Double) {
        switch self {
        case .adamw(var adamW):
            adamW.step(&weights, gradients: gradients, learningRate: learningRate)
            self = .adamw(adamW)
        case .sgd:
            SGD().step(&weights, gradients: gradients, learningRate: learningRate)
        }
    }
}

extension AdamW: Equatable {
    public static func == (lhs: AdamW, rhs: AdamW) -> Bool {
        lhs.settings == rhs.settings && lhs.stepCount == rhs.stepCount
            && lhs.firstMoments == rhs.firstMoments && lhs.secondMoments == rhs.secondMoments
    }
}

/// What one optimiser step did.
public struct StepReport: Sendable, Equatable {
    /// Steps taken, this one included.
    public var step: Int
    /// The mean loss over the step's response rows, before the update.
    public var loss: Double
    public var learningRate: Double
    /// The global gradient norm before clipping.
    public var gradientNorm: Double
    public var tokens: Int
    public var responseRows: Int
    /// The epoch the step's last micro-batch came from.
    public var epoch: Int
}

/// A training run in memory: the student's weights, the optimiser state, the number of
/// steps taken and the data cursor. Everything a step depends on is in these fields and
/// the immutable setup, so a trainer rebuilt from a checkpoint continues exactly as the
/// original would have.
public struct Trainer: Sendable {
    public private(set) var weights: ModelWeights
    public private(set) var optimizer: Optimizer
    public private(set) var step: Int
    public private(set) var cursor: DataCursor
    public let settings: TrainingSettings
    public let sequences: [TrainingSequence]
    public let plan: BatchPlan
    public let objective: TrainingObjective
    public let trainable: TrainableParameters
    private let pass: Backpropagation

    /// A fresh run (`optimizer`, `step` and `cursor` left at their defaults) or one
    /// continued from a checkpoint's state.
    public init(weights: ModelWeights, sequences: [TrainingSequence], plan: BatchPlan, objective: TrainingObjective,
                trainable: TrainableParameters, settings: TrainingSettings,
                optimizer: Optimizer? = nil, step: Int = 0, cursor: DataCursor = DataCursor()) throws(TrainingDataError) {
        if let problem = objective.check(sequences) { throw TrainingDataError(source: "training data", problem: problem) }
        let vocab = weights.config.vocabSize
        for sequence in sequences {
            if let bad = sequence.ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw TrainingDataError(source: "training data", problem: "sequence \(sequence.id): token id \(bad) outside the student's vocabulary of \(vocab)")
            }
            if let bad = sequence.teacherTopK?.ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw TrainingDataError(source: "training data", problem: "sequence \(sequence.id): teacher token id \(bad) outside the student's vocabulary of \(vocab)")
            }
        }
        let longest = sequences.map { max($0.ids.count, $0.alignedView?.ids.count ?? 0) }.max() ?? 1
        guard longest <= weights.config.contextLength else {
            throw TrainingDataError(source: "training data", problem: "a sequence of \(longest) tokens is longer than the student's context of \(weights.config.contextLength)")
        }
        self.weights = weights
        self.sequences = sequences
        self.plan = plan
        self.objective = objective
        self.trainable = trainable
        self.settings = settings
        self.optimizer = optimizer ?? (settings.optimizer == .adamw ? .adamw(AdamW(settings: settings.adamW)) : .sgd)
        self.step = step
        self.cursor = cursor
        pass = Backpropagation(config: weights.config, maxPositions: longest)
    }

    public var isFinished: Bool { step >= settings.totalSteps }

    /// One optimiser step over the next `gradientAccumulation` micro-batches.
    public mutating func trainStep() -> StepReport {
        var batches: [[TrainingSequence]] = []
        for _ in 0..<settings.gradientAccumulation {
            let (range, next) = plan.microBatch(at: cursor)
            batches.append(Array(sequences[range]))
            cursor = next
        }
        let rowCount = batches.joined().reduce(0) { $0 + $1.lossRows.count }
        var loss: Double = 0
        var gradients: ModelGradients?
        for batch in batches {
            let objective = self.objective
            let result = pass.run(weights: weights, trainable: trainable, sequences: batch.map(\.ids), rows: batch.map(\.lossRows)) {
                objective.loss(batch: batch, studentLogits: $0, meanOver: rowCount)
            }
            loss += result.loss.mean
            if gradients == nil { gradients = result.gradients } else { gradients!.add(result.gradients) }
        }
        let norm = settings.clipNorm.map { GradientClipping.clipByGlobalNorm(&gradients!, maxNorm: $0) } ?? gradients!.globalNorm
        let rate = settings.learningRate(atStep: step)
        optimizer.step(&weights, gradients: gradients!, learningRate: rate)
        step += 1
        return StepReport(step: step, loss: loss, learningRate: rate, gradientNorm: norm,
                          tokens: batches.joined().reduce(0) { $0 + $1.ids.count }, responseRows: rowCount,
                          epoch: cursor.position == 0 ? cursor.epoch - 1 : cursor.epoch)
    }
}
