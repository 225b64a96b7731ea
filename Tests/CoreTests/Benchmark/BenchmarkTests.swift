import Foundation
import Testing
@testable import Core

@Suite struct BenchmarkTests {
    static let smolLM2 = ModelConfig(
        family: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
        headCount: 9, kvHeadCount: 3, headDim: 64, ropeTheta: 100_000, rmsNormEps: 1e-5,
        contextLength: 8192, tieWordEmbeddings: true)

    @Test func teacherForwardFlopsCountEveryProductOnceAndCausalAttentionAtHalf() {
        let products = MatrixProduct.teacherForward(config: Self.smolLM2, tokens: 16, headRows: 16)
        #expect(products.map(\.name) == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
                                         "attention_scores", "attention_values", "output_head"])
        // Per token and layer: q, o 2·576·576; k, v 2·192·576; gate, up, down 2·1536·576.
        let perTokenAndLayer: Double = 2 * 663_552 + 2 * 221_184 + 3 * 1_769_472
        let projections: Double = 16 * 30 * perTokenAndLayer
        // Per layer and head: scores and values 2·16·16·64 each, halved.
        let perHead: Double = 2 * (2 * 16 * 16 * 64) / 2
        let attention: Double = 30 * 9 * perHead
        let head: Double = 16 * 2 * 576 * 49152
        #expect(MatrixProduct.totalFlops(products) == projections + attention + head)
        #expect(MatrixProduct.totalFlops(products) == 4_312_203_264)
        #expect(products[7] == MatrixProduct("attention_scores", m: 16, n: 16, k: 64, count: 270, causal: true))
    }

    @Test func ceilingOfAMixIsTotalFlopsOverTheTimeEachProductTakesAtItsRate() {
        let products = [MatrixProduct("a", m: 1000, n: 1000, k: 1000), MatrixProduct("b", m: 500, n: 1000, k: 1000)]
        // 2 GFLOP at 100 GFLOP/s and 1 GFLOP at 50 GFLOP/s: 3 GFLOP in 0.04 s.
        let ceiling = SgemmBenchmark.ceiling(of: products, rates: ["a": 100, "b": 50])
        #expect(abs(ceiling - 75) < 1e-9)
    }

    @Test func sgemmAndStreamingReadMeasureAPositiveRate() {
        #expect(SgemmBenchmark.gflops(m: 64, n: 64, k: 64, minimumSeconds: 0.01) > 0)
        #expect(MemoryBandwidth.streamingRead(bytes: 1 << 22, passes: 2) > 0)
    }

    @Test func peakResidentSetSizeOfThisProcess() throws {
        let peak = try ProcessMemory.peakResidentBytes(pid: getpid())
        #expect(peak > 1 << 20)
        #expect(peak % 1024 == 0)
        #expect(throws: BenchmarkError("cannot read /proc/2147483647/status (has process 2147483647 exited?)")) {
            try ProcessMemory.peakResidentBytes(pid: Int32.max)
        }
    }

    @Test func workerLogJobsOfOneRunWithTheirForwardTime() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-log-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = [
            #"{"ts":"2026-12-03T17:40:01.000","level":"info","msg":"worker serving","models":["smol"]}"#,
            #"{"ts":"2026-12-03T17:40:02.000","level":"info","msg":"job done","forward_seconds":1.0,"fusion_seconds":0.25,"job":"runA/000000","rows":10,"seconds":1.5,"sequences":1,"tokens":100}"#,
            #"{"ts":"2026-12-03T17:40:03.000","level":"info","msg":"job done","forward_seconds":9.0,"fusion_seconds":1.0,"job":"runAB/000000","rows":10,"seconds":10.0,"sequences":1,"tokens":7}"#,
            #"{"ts":"2026-12-03T17:40:04.000","level":"info","msg":"job done","forward_seconds":2.0,"fusion_seconds":0.5,"job":"runA/000001","rows":20,"seconds":3.0,"sequences":2,"tokens":200}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let log = try WorkerJobLog(path: path, runID: "runA")
        #expect(log.jobs == [
            .init(id: "runA/000000", tokens: 100, seconds: 1.5, forwardSeconds: 1.0, fusionSeconds: 0.25),
            .init(id: "runA/000001", tokens: 200, seconds: 3.0, forwardSeconds: 2.0, fusionSeconds: 0.5),
        ])
        #expect(log.tokens == 300)
        #expect(log.seconds == 4.5)
        #expect(log.forwardSeconds == 3.0)
        #expect(log.fusionSeconds == 0.75)
    }

    @Test func workerLogWithoutForwardTimeIsAnError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-log-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"msg":"job done","job":"runA/000000","seconds":1.5,"tokens":100}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: BenchmarkError("\(path) line 1: a job done line without tokens, seconds, forward_seconds and fusion_seconds (an older worker?)")) {
            try WorkerJobLog(path: path, runID: "runA")
        }
    }

    @Test func benchmarkTextRepeatsTheDatasetWhenItIsShort() throws {
        let file = try ModelLoader.load(path: TestPaths.smolLM2)
        let tokenizer = try Tokenizer(spec: file.tokenizer!)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-data-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"[{"instruction": "Say hi.", "input": "", "output": "Hi!"}]"#.write(toFile: path, atomically: true, encoding: .utf8)
        let once = tokenizer.encode("Say hi.\n\nHi!\n\n")
        let ids = try BenchmarkText.tokens(dataPath: path, tokenizer: tokenizer, count: 2 * once.count + 1)
        #expect(ids == once + once + [once[0]])
    }

    @Test func weightFootprintCountsFloat32ValuesAndQuantisedBlocksAsHeld() throws {
        #expect(WeightFootprint.bytes(of: .dense(Matrix(zeros: 3, 5))) == 60)
        let weights = try SmolLM2QuantizedFile.file.get().weights
        guard case .quantized(let embedding) = weights.embedding, embedding.type == .q8_0 else {
            Issue.record("the SmolLM2 embedding was not kept as Q8_0 blocks")
            return
        }
        // Q8_0: 34 bytes a block of 32 values; the Q4_1 projections: 20 bytes a block.
        let embeddingBytes = 49152 * 576 / 32 * 34
        // Per layer: q, o 576x576; k, v 192x576; gate, up, down 1536x576.
        let layerValues = 2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576
        #expect(WeightFootprint.bytes(of: weights.embedding) == embeddingBytes)
        #expect(WeightFootprint.bytes(of: weights) == embeddingBytes + 30 * layerValues / 32 * 20)
        #expect(WeightFootprint.bytes(of: weights) == 96_436_224)
    }
}
