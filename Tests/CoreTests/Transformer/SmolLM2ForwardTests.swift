import Foundation
import Testing
@testable import Core

/// The real model, loaded once for the suites below (dequantising it takes a while).
enum SmolLM2Fixture {
    static let transformer: Result<Transformer, FileError> = Result {
        () throws(FileError) -> Transformer in
        Transformer(weights: try ModelLoader.load(path: TestPaths.smolLM2).weights)
    }

    struct Prompt {
        var name: String
        var ids: [Int32]
    }

    static func prompts() throws -> [Prompt] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("smollm2/logits-goldens.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let prompts = try #require(object["prompts"] as? [[String: Any]])
        return try prompts.map {
            Prompt(name: try #require($0["name"] as? String), ids: try #require($0["ids"] as? [Int]).map(Int32.init))
        }
    }

    static func goldens() throws -> SafetensorsFile {
        try SafetensorsFile(path: TestPaths.fixture("smollm2/logits-goldens.safetensors"))
    }
}

/// Heavy: run in release (`swift test -c release --disable-xctest --filter SmolLM2`).
@Suite("SmolLM2-135M forward against the Hugging Face goldens")
struct SmolLM2ForwardTests {
    static let tolerance: Float = 2e-3

    @Test("All four prompts in one batch: logsumexp, top-20 logits, last-row logits")
    func promptLogits() throws {
        let transformer = try SmolLM2Fixture.transformer.get()
        let golden = try SmolLM2Fixture.goldens()
        let prompts = try SmolLM2Fixture.prompts()
        let vocab = 49152
        let all = transformer.logits(sequences: prompts.map(\.ids), rows: prompts.map { 0..<$0.ids.count })
        for (prompt, logits) in zip(prompts, all) {
            #expect(logits.rows == prompt.ids.count && logits.cols == vocab)
            let logSumExps = try golden.floats("logsumexp/\(prompt.name)")
            let topIds = try golden.int32s("top20_indices/\(prompt.name)")
            let topLogits = try golden.floats("top20_logits/\(prompt.name)")
            for t in 0..<logits.rows {
                let row = Array(logits.values[t * vocab..<(t + 1) * vocab])
                let context = "\(prompt.name) row \(t)"
                let maximum = row.max()!
                let logSumExp = Float(Double(maximum) + log(row.reduce(0.0) { $0 + exp(Double($1 - maximum)) }))
                #expect(abs(logSumExp - logSumExps[t]) <= Self.tolerance, "\(context): logsumexp \(logSumExp) vs \(logSumExps[t])")
                let expectedIds = Array(topIds[t * 20..<(t + 1) * 20])
                let expectedLogits = Array(topLogits[t * 20..<(t + 1) * 20])
                for (id, value) in zip(expectedIds, expectedLogits) {
                    #expect(abs(row[Int(id)] - value) <= Self.tolerance, "\(context): logit of \(id)")
                }
                var selection = TopKSelection(k: 20)
                let engineTop = row.withUnsafeBufferPointer { selection.select($0.baseAddress!, count: vocab) }
                for entry in engineTop where entry.value > expectedLogits[19] + Self.tolerance {
                    #expect(expectedIds.contains(entry.index), "\(context): id \(entry.index) not in the golden top-20")
                }
            }
            let last = Array(logits.values[(logits.rows - 1) * vocab..<logits.rows * vocab])
            let diff = maxAbsDifference(last, try golden.floats("last_logits/\(prompt.name)"))
            #expect(diff <= Self.tolerance, "\(prompt.name) last row: max abs diff \(diff)")
        }
    }

    @Test("Residual stream after every layer and the final norm for p0_plain")
    func hiddenStates() throws {
        let transformer = try SmolLM2Fixture.transformer.get()
        let golden = try SmolLM2Fixture.goldens()
        let prompt = try #require(try SmolLM2Fixture.prompts().first { $0.name == "p0_plain" })
        let streams = transformer.residualStreams(sequence: prompt.ids)
        #expect(streams.count == 31)
        let names = ["hidden/p0_plain/embed"] + (0..<30).map { "hidden/p0_plain/layer_out/\($0)" }
        var compared = zip(streams.map(\.values), names).map { ($0, $1) }
        compared.append((transformer.hiddenStates(sequences: [prompt.ids])[0].values, "hidden/p0_plain/final_norm"))
        for (values, name) in compared {
            let expected = try golden.floats(name)
            let bound = Self.tolerance * max(1, expected.map(abs).max()!)
            let diff = maxAbsDifference(values, expected)
            #expect(diff <= bound, "\(name): max abs diff \(diff), bound \(bound)")
        }
    }
}

/// Throughput of a 512-token forward; opt in with `REALIGN_BENCHMARK=1` (release build).
@Suite("SmolLM2-135M forward throughput", .enabled(if: ProcessInfo.processInfo.environment["REALIGN_BENCHMARK"] == "1"))
struct SmolLM2ThroughputTests {
    @Test("512 tokens on 2 threads")
    func forward512() throws {
        let transformer = try SmolLM2Fixture.transformer.get()
        ComputeThreads.set(2)
        var generator = SplitMix64(seed: 512)
        let ids = (0..<512).map { _ in Int32(generator.next() % 49152) }
        _ = transformer.hiddenStates(sequences: [Array(ids.prefix(64))])
        // Best of three: the machine is shared, the minimum is the least disturbed run.
        let clock = ContinuousClock()
        var hidden: [Matrix] = []
        let stack = (0..<3).map { _ in clock.measure { hidden = transformer.hiddenStates(sequences: [ids]) } }.min()!
        var logits: [Matrix] = []
        let withHead = (0..<3).map { _ in clock.measure { logits = transformer.logits(sequences: [ids], rows: [0..<512]) } }.min()!
        #expect(hidden[0].values.allSatisfy { $0.isFinite })
        #expect(logits[0].rows == 512 && logits[0].values.allSatisfy { $0.isFinite })
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        // Projections: 2 · 106.2M multiply-adds per token; causal attention ≈ 2·L²·headDim·heads per layer.
        let projectionFlops = 2.0 * 106_168_320 * 512
        let attentionFlops = 30 * 2.0 * 512 * 512 * 64 * 9
        let headFlops = 2.0 * 576 * 49152 * 512
        let stackSeconds = seconds(stack), headSeconds = seconds(withHead)
        print("""
            SmolLM2 512-token forward, \(ComputeThreads.count) threads: \
            stack \(String(format: "%.3f", stackSeconds)) s = \(String(format: "%.0f", 512 / stackSeconds)) tokens/s, \
            \(String(format: "%.1f", (projectionFlops + attentionFlops) / stackSeconds / 1e9)) GFLOP/s; \
            with the head on all rows \(String(format: "%.3f", headSeconds)) s = \(String(format: "%.0f", 512 / headSeconds)) tokens/s, \
            \(String(format: "%.1f", (projectionFlops + attentionFlops + headFlops) / headSeconds / 1e9)) GFLOP/s
            """)
    }
}

/// Teacher targets and generations should not depend on a worker's `--threads` (shards
/// byte-identical whatever the fleet), so the forward pass is bit-identical on 1 and 2
/// threads, on a sequence long enough for OpenBLAS to split its products - where
/// OpenBLAS's own kernels are (SkylakeX); with its Haswell / Zen kernels, within float32
/// rounding of each other (README, "The output directory").
@Suite("SmolLM2-135M forward is independent of the thread count", .serialized)
struct SmolLM2ThreadInvarianceTests {
    @Test func logitsAreBitIdenticalOnOneAndTwoThreads() throws {
        let transformer = try SmolLM2Fixture.transformer.get()
        let prompt = try SmolLM2Fixture.prompts().flatMap(\.ids)
        let sequence = Array(Array(repeating: prompt, count: 7).joined().prefix(640))
        let rows = [(sequence.count - 100)..<sequence.count]
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(1)
        let one = transformer.logits(sequences: [sequence], rows: rows)
        ComputeThreads.set(2)
        let two = transformer.logits(sequences: [sequence], rows: rows)
        #expect(sequence.count == 640)
        if OpenBLASDeterminism.isThreadInvariant {
            #expect(one == two)
        } else {
            let difference = zip(one[0].values, two[0].values).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-3, "logits on 1 and 2 threads differ by up to \(difference)")
        }
    }
}
