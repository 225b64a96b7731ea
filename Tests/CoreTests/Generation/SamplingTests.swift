import Foundation
import Testing
@testable import Core

@Suite("Sampling: greedy, temperature, top-k, top-p, min-p, seeds")
struct SamplingTests {
    /// Logits whose softmax is exactly `probabilities`.
    static func logits(_ probabilities: [Double]) -> [Float] {
        probabilities.map { Float(log($0)) }
    }

    static func frequencies(_ parameters: SamplingParameters, logits: [Float], draws: Int) -> [Double] {
        var sampler = Sampler(parameters)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<draws { counts[Int(sampler.sample(logits))] += 1 }
        return counts.map { Double($0) / Double(draws) }
    }

    @Test("xoshiro256** seeded by SplitMix64 gives the reference sequence")
    func randomGeneratorReference() {
        var generator = SamplingRandomGenerator(seed: 42)
        #expect([generator.next(), generator.next(), generator.next()] == [1546998764402558742, 6990951692964543102, 12544586762248559009])
        var zero = SamplingRandomGenerator(seed: 0)
        #expect([zero.next(), zero.next()] == [11091344671253066420, 13793997310169335082])
    }

    @Test("A seed derived from a request id is the first 8 bytes of its SHA-256")
    func derivedSeed() {
        #expect(SamplingParameters.seed(derivedFrom: "request-1") == 1869282241165478355)
    }

    @Test("Greedy takes the largest logit, the lowest id on a tie")
    func greedy() {
        var sampler = Sampler(.greedy)
        #expect(sampler.sample([0.5, 2, -1, 2]) == 1)
        #expect(sampler.sample([-3, -2, -2.5]) == 1)
        #expect(Sampler.argmax([7]) == 0)
    }

    @Test("Temperature sampling follows softmax(logits / T); same seed, same tokens")
    func temperature() {
        let logits = Self.logits([0.6, 0.3, 0.1])
        let plain = Self.frequencies(SamplingParameters(temperature: 1, seed: 1), logits: logits, draws: 20000)
        for (observed, expected) in zip(plain, [0.6, 0.3, 0.1]) { #expect(abs(observed - expected) < 0.015) }
        // T = 0.5 squares the probabilities: 0.36 : 0.09 : 0.01.
        let sharp = Self.frequencies(SamplingParameters(temperature: 0.5, seed: 2), logits: logits, draws: 20000)
        for (observed, expected) in zip(sharp, [0.36 / 0.46, 0.09 / 0.46, 0.01 / 0.46]) { #expect(abs(observed - expected) < 0.015) }

        var first = Sampler(SamplingParameters(temperature: 1, seed: 99))
        var second = Sampler(SamplingParameters(temperature: 1, seed: 99))
        var other = Sampler(SamplingParameters(temperature: 1, seed: 100))
        let uniform = [Float](repeating: 0, count: 50)
        let a = (0..<40).map { _ in first.sample(uniform) }
        #expect(a == (0..<40).map { _ in second.sample(uniform) })
        #expect(a != (0..<40).map { _ in other.sample(uniform) })
    }

    @Test("top-k keeps the k most likely tokens")
    func topK() {
        let logits = Self.logits([0.1, 0.4, 0.2, 0.3])
        let kept = Sampler.candidates(logits, SamplingParameters(topK: 2)).map(\.id)
        #expect(kept == [1, 3])
        let observed = Self.frequencies(SamplingParameters(topK: 2, seed: 5), logits: logits, draws: 10000)
        #expect(observed[0] == 0 && observed[2] == 0)
        #expect(abs(observed[1] - 4.0 / 7.0) < 0.02)
        var one = Sampler(SamplingParameters(temperature: 1.5, topK: 1, seed: 8))
        #expect((0..<20).allSatisfy { _ in one.sample(logits) == 1 })
    }

    @Test("top-p keeps the smallest most-likely set reaching p")
    func topP() {
        let logits = Self.logits([0.15, 0.5, 0.05, 0.3])
        #expect(Sampler.candidates(logits, SamplingParameters(topP: 0.7)).map(\.id) == [1, 3])
        #expect(Sampler.candidates(logits, SamplingParameters(topP: 0.5)).map(\.id) == [1])
        #expect(Sampler.candidates(logits, SamplingParameters(topP: 0.9)).map(\.id) == [1, 3, 0])
        #expect(Sampler.candidates(logits, SamplingParameters(topK: 3, topP: 0.9)).map(\.id) == [1, 3, 0])
        #expect(Sampler.candidates(logits, SamplingParameters(topP: 1)).count == 4)
    }

    @Test("min-p drops tokens less than min_p times as likely as the best")
    func minP() {
        let logits = Self.logits([0.5, 0.3, 0.2])
        #expect(Sampler.candidates(logits, SamplingParameters(minP: 0.5)).map(\.id) == [0, 1])
        #expect(Sampler.candidates(logits, SamplingParameters(minP: 0.39)).map(\.id) == [0, 1, 2])
        #expect(Sampler.candidates(logits, SamplingParameters(minP: 1)).map(\.id) == [0])
    }

    @Test("Invalid parameters are named")
    func invalidParameters() {
        #expect(SamplingParameters(temperature: -1).problem == "temperature -1.0 must be a finite number >= 0")
        #expect(SamplingParameters(topK: 0).problem == "top_k 0 must be at least 1")
        #expect(SamplingParameters(topP: 0).problem == "top_p 0.0 must be in (0, 1]")
        #expect(SamplingParameters(minP: 2).problem == "min_p 2.0 must be in [0, 1]")
        #expect(SamplingParameters(temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05).problem == nil)
    }
}
