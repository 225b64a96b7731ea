import Foundation

/// Adam with decoupled weight decay (Loshchilov & Hutter), in PyTorch's `torch.optim.AdamW`
/// form: `p ← p·(1 − lr·wd)`, `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)`. Moments exist only for the
/// parameters that have gradients (frozen ones have no state), keyed by Hugging Face
/// name so a checkpoint can store them.
public struct AdamW: Sendable {
    public struct Settings: Sendable, Equatable {
        public var beta1: Double
        public var beta2: Double
        public var epsilon: Double
        public var weightDecay: Double
        /// Whether biases and norm weights decay too. Hugging Face's Trainer exempts
        /// them (as it does every bias and LayerNorm/RMSNorm weight), so the default is no.
        public var decayBiasesAndNorms: Bool

        public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                    weightDecay: Double = 0.0, decayBiasesAndNorms: Bool = false) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
            self.decayBiasesAndNorms = decayBiasesAndNorms
        }
    }

    public var settings: Settings
    /// Steps taken so far (the `t` of the bias correction).
    public private(set) var stepCount: Int
    public private(set) var firstMoments: [String: [Float]]
    public private(set) var secondMoments: [String: [Float]]

    public init(settings: Settings = Settings(), stepCount: Int = 0,
                firstMoments: [String: [Float]] = [:], secondMoments: [String: [Float]] = [:]) {
        self.settings = settings
        self.stepCount = stepCount
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    /// Whether the parameter named `name` gets weight decay.
    public func decays(_ name: String) -> Bool {
        settings.decayBiasesAndNorms || !(name.hasSuffix(".bias") || name.contains("norm"))
    }

    public mutating func step(_ weights: inout ModelWeights, gradients: ModelGradients, learningRate: Double) {
        stepCount += 1
        let beta1 = Float(settings.beta1), beta2 = Float(settings.beta2)
        let stepSize = Float(learningRate / (1 - pow(settings.beta1, Double(stepCount))))
        let correction2 = Float(sqrt(1 - pow(settings.beta2, Double(stepCount))))
        let epsilon = Float(settings.epsilon)
        var first = firstMoments, second = secondMoments
        firstMoments = [:]
        secondMoments = [:]
        weights.update(with: gradients) { name, parameter, gradient in
            var m = first.removeValue(forKey: name) ?? [Float](repeating: 0, count: parameter.count)
            var v = second.removeValue(forKey: name) ?? [Float](repeating: 0, count: parameter.count)
            precondition(m.count == parameter.count && v.count == parameter.count,
                         "AdamW state for \(name) has \(m.count) values, the parameter \(parameter.count)")
            let decay = decays(name) ? Float(1 - learningRate * settings.weightDecay) : 1
            for i in parameter.indices {
                let g = gradient[i]
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                parameter[i] = parameter[i] * decay - stepSize * m[i] / (v[i].squareRoot() / correction2 + epsilon)
            }
            first[name] = m
            second[name] = v
        }
        firstMoments = first
        secondMoments = second
    }
}
