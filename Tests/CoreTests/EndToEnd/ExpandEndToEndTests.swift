import Foundation
import Testing
@testable import Core

@Suite("realign expand end to end", .serialized)
struct ExpandEndToEndTests {
    @Test("realign expand on tiny-qwen2 writes the fixture's InRa model, loadable as an InRa model")
    func expandsHuggingFaceDirectory() async throws {
        let out = try TemporaryDirectory()
        let dir = out.file("inra")
        let outcome = try await RealignProcess.run(
            ["expand", "--model", TestPaths.fixture("tiny-qwen2"), "--out", dir], outputPrefix: out.file("expand"))
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        #expect(outcome.stdout.split(separator: "\n").map(String.init) == [dir + "/model.safetensors", dir + "/config.json"])
        let written = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        let fixture = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("tiny-qwen2-inra/model.safetensors")))
        #expect(written == fixture)
        let (model, _) = try InRaModel.load(path: dir)
        let base = try ModelLoader.load(path: TestPaths.fixture("tiny-qwen2")).weights
        #expect(model.transformer.weights.config.layerCount == base.config.layerCount + 1)
    }

    @Test("--adapter-only on the SmolLM2 GGUF writes one layer that serves beside the quantised base")
    func adapterOnlyBesideGGUF() async throws {
        let out = try TemporaryDirectory()
        let outcome = try await RealignProcess.run(
            ["expand", "--model", TestPaths.smolLM2, "--out", out.path, "--force", "--adapter-only", "--dtype", "bf16"],
            outputPrefix: out.file("expand"))
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        let adapterPath = out.file(InRaExpansion.adapterFileName)
        #expect(outcome.stdout == adapterPath + "\n")
        let adapter = try SafetensorsFile(path: adapterPath)
        #expect(adapter.tensors.values.allSatisfy { $0.dtype == .bf16 })
        #expect(adapter.metadata["realign_inra_base_layers"] == "30")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: adapterPath)[.size] as? Int)
        #expect(size < 10_000_000, "an adapter is one layer: \(size) bytes")
        let (model, _) = try InRaModel.load(path: TestPaths.smolLM2, adapter: adapterPath)
        #expect(model.transformer.weights.layers.count == 31)
        #expect(model.transformer.weights.layers[InRaModel.adapterLayer].oProj.matrix.values.allSatisfy { $0 == 0 })
        #expect(model.transformer.weights.layers[InRaModel.adapterLayer].downProj.matrix.values.allSatisfy { $0 == 0 })
    }

    @Test("Bad invocations exit 2 (usage) or 1 (unreadable model) with a message, writing nothing",
          arguments: [
              (["expand", "--model", "MODEL", "--out", "OUT", "--dtype", "q4_0"], Int32(2), "--dtype q4_0 is not one of f32, bf16, f16"),
              (["expand", "--out", "OUT"], 2, "--model"),
              (["expand", "--model", "MODEL", "--out", "OUT", "extra"], 2, "unexpected argument extra"),
              (["expand", "--model", "/nonexistent/model.gguf", "--out", "OUT"], 1, "/nonexistent/model.gguf"),
          ])
    func badInvocations(arguments: [String], exitCode: Int32, message: String) async throws {
        let out = try TemporaryDirectory()
        let target = out.file("target")
        let resolved = arguments.map { $0 == "MODEL" ? TestPaths.fixture("tiny-qwen2") : $0 == "OUT" ? target : $0 }
        let outcome = try await RealignProcess.run(resolved, outputPrefix: out.file("expand"))
        #expect(outcome.exitCode == exitCode, "\(outcome.transcript)")
        #expect(outcome.stderr.contains(message), "\(outcome.transcript)")
        #expect(!FileManager.default.fileExists(atPath: target + "/model.safetensors"))
    }

    @Test("A directory that already holds files is refused without --force")
    func refusesNonEmptyDirectory() async throws {
        let out = try TemporaryDirectory()
        try Data("mine".utf8).write(to: URL(fileURLWithPath: out.file("keep.txt")))
        let outcome = try await RealignProcess.run(
            ["expand", "--model", TestPaths.fixture("tiny-qwen2"), "--out", out.path], outputPrefix: out.file("expand"))
        #expect(outcome.exitCode == 2, "\(outcome.transcript)")
        #expect(outcome.stderr.contains("is not empty"), "\(outcome.transcript)")
        #expect(!FileManager.default.fileExists(atPath: out.file("model.safetensors")))
    }
}
