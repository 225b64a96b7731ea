/// The optimiser of a run.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// AdamW with decoupled weight decay (the authors' choice, through Hugging Face's Trainer).
    case adamw
    /// Plain `p -= lr · grad`.
    case sgd
}

/// The hyper-parameters of a training run: everything that decides its result besides
/// the data, the student and the objective.
public struct TrainingSettings: Sendable, Equatable {
    public var optimizer: OptimizerKind
    public var learningRate: Double
    /// Linear warm-up then cosine decay (`LearningRateSchedule`); nil keeps the rate constant.
    public var warmupRatio: Double?
    public var totalSteps: Int
    /// Micro-batches per optimiser step; the loss averages over all their response rows.
    public var gradientAccumulation: Int
    /// Clipping by global norm; nil for none.
    public var clipNorm: Double?
    public var adamW: AdamW.Settings

    public init(optimizer: OptimizerKind, learningRate: Double, warmupRatio: Double?, totalSteps: Int,
                gradientAccumulation: Int, clipNorm: Double?, adamW: AdamW.Settings = AdamW.Settings()) {
        precondition(totalSteps >= 1 && gradientAccumulation >= 1, "\(totalSteps) steps of \(gradientAccumulation) micro-batches")
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.warmupRatio = warmupRatio
        self.totalSteps = totalSteps
        self.gradientAccumulation = gradientAccumulation
        self.clipNorm = clipNorm
        self.adamW = adamW
    }

    /// The authors' defaults where they gave them: AdamW, lr 2e-5, warm-up ratio 0.1
    /// then cosine, clipping at 1.0 (Hugging Face's default `max_grad_norm`).
    public static func defaults(totalSteps: Int) -> TrainingSettings {
        TrainingSettings(optimizer: .adamw, learningRate: 2e-5, warmupRatio: 0.1, totalSteps: totalSteps,
                         gradientAccumulation: 1, clipNorm: 1.0)
    }

    /// The rate of the update after `step` earlier ones.
    public func learningRate(atStep step: Int) -> Double {
        guard let warmupRatio else { return learningRate }
        return LearningRateSchedule(peak: learningRate, warmupRatio: warmupRatio, totalSteps: totalSteps).rate(atStep: step)
    }
}
