/// Plain stochastic gradient descent: `p -= lr · grad` on every parameter that has a
/// gradient; no momentum, no weight decay, no clipping.
public struct SGD: Sendable {
    public init() {}

    public func step(_ weights: inout ModelWeights, gradients: ModelGradients, learningRate: Double) {
        let rate = Float(learningRate)
        weights.update(with: gradients) { _, parameter, gradient in
            for i in parameter.indices { parameter[i] -= rate * gradient[i] }
        }
    }
}
