import Foundation

/// Chooses tokens from logits by `SamplingParameters`, one sequence's generator state
/// carried from token to token.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: SamplingRandomGenerator

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SamplingRandomGenerator(seed: parameters.seed)
    }

    /// The next token id for these logits.
    public mutating func sample(_ logits: [Float]) -> Int32 {
        precondition(!logits.isEmpty, "sampling from no logits")
        if parameters.isGreedy { return Self.argmax(logits) }
        let candidates = Self.candidates(logits, parameters)
        var total = 0.0
        for candidate in candidates { total += candidate.weight }
        let target = random.nextUnit() * total
        var cumulative = 0.0
        for candidate in candidates {
            cumulative += candidate.weight
            if target < cumulative { return candidate.id }
        }
        return candidates[candidates.count - 1].id
    }

    /// The first index of the largest value.
    public static func argmax(_ logits: [Float]) -> Int32 {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// The tokens left after temperature, top-k, top-p and min-p, each with its
    /// unnormalised probability `exp((logit − max) / temperature)`: most likely first
    /// when top-k or top-p ordered them, otherwise in id order.
    static func candidates(_ logits: [Float], _ parameters: SamplingParameters) -> [(id: Int32, weight: Double)] {
        let temperature = Double(parameters.temperature)
        let maximum = Double(logits.max()!)
        func weight(_ logit: Float) -> Double { exp((Double(logit) - maximum) / temperature) }

        var candidates: [(id: Int32, weight: Double)]
        if let topK = parameters.topK, topK < logits.count {
            var selection = TopKSelection(k: topK)
            candidates = logits.withUnsafeBufferPointer { selection.select($0.baseAddress!, count: logits.count) }
                .map { ($0.index, weight($0.value)) }
        } else {
            candidates = logits.enumerated().map { (Int32($0.offset), weight($0.element)) }
        }
        if let topP = parameters.topP, topP < 1 {
            if parameters.topK == nil || parameters.topK! >= logits.count {
                candidates.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.id < $1.id) }
            }
            let total = candidates.reduce(0) { $0 + $1.weight }
            var kept = 0
            var cumulative = 0.0
            while kept < candidates.count {
                cumulative += candidates[kept].weight
                kept += 1
                if cumulative >= Double(topP) * total { break }
            }
            candidates.removeSubrange(kept...)
        }
        if let minP = parameters.minP, minP > 0 {
            // The most likely token has weight exp(0) = 1 and survives every filter.
            candidates.removeAll { $0.weight < Double(minP) }
        }
        return candidates
    }
}
