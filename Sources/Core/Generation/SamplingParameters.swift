/// How the next token is chosen from the logits. `temperature` 0 is greedy (argmax,
/// lowest id on a tie); otherwise the logits are divided by the temperature, then
/// filtered by `topK` (keep the k most likely), `topP` (keep the smallest most-likely
/// set whose probability reaches p) and `minP` (keep tokens at least `minP` times as
/// likely as the most likely one), in that order (as Hugging Face's processors run),
/// and a token is drawn from what is left, renormalised, with a generator seeded by
/// `seed`: the same seed and logits give the same tokens.
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?
    public var minP: Float?
    public var seed: UInt64

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, minP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0)

    public var isGreedy: Bool { temperature == 0 }

    /// A seed derived from a request id (the first 8 bytes of its SHA-256), so a
    /// request sent again without a seed draws the same tokens.
    public static func seed(derivedFrom id: String) -> UInt64 {
        UInt64(SHA256.hex(id).prefix(16), radix: 16)!
    }

    /// Why the parameters cannot be used, or nil when they can.
    public var problem: String? {
        if !(temperature >= 0) || !temperature.isFinite { return "temperature \(temperature) must be a finite number >= 0" }
        if let topK, topK < 1 { return "top_k \(topK) must be at least 1" }
        if let topP, !(topP > 0 && topP <= 1) { return "top_p \(topP) must be in (0, 1]" }
        if let minP, !(minP >= 0 && minP <= 1) { return "min_p \(minP) must be in [0, 1]" }
        return nil
    }
}
