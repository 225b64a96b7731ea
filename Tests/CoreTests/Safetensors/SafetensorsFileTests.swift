import Foundation
import Testing
@testable import Core

@Suite struct SafetensorsFileTests {
    @Test func readsGoldenLogits() throws {
        let file = try SafetensorsFile(path: TestPaths.fixture("goldens/tiny-qwen2.safetensors"))
        let info = try file.info("logits/B")
        #expect(info.dtype == .f32)
        #expect(info.shape == [33, 256])
        let values = try file.floats("logits/B")
        #expect(values.count == 33 * 256)
        #expect(values.allSatisfy { $0.isFinite })
    }

    @Test func readsIndexTensors() throws {
        let file = try SafetensorsFile(path: TestPaths.fixture("goldens/trra-fused.safetensors"))
        let info = try file.info("topk_indices/B/lam_0.5")
        #expect(info.dtype == .i32)
        #expect(info.shape == [33, 8])
        let ids = try file.int32s("topk_indices/B/lam_0.5")
        #expect(ids.allSatisfy { (0..<256).contains($0) })
    }

    @Test func readsModelMetadata() throws {
        let file = try SafetensorsFile(path: TestPaths.fixture("tiny-llama/model.safetensors"))
        #expect(file.metadata["format"] == "pt")
        #expect(file.tensors["lm_head.weight"] == nil)
        #expect(try file.info("model.embed_tokens.weight").shape == [256, 64])
    }

    @Test func rejectsTruncatedFile() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("goldens/tiny-qwen2.safetensors")))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for length in [4, 100, original.count - 1] {
            try original.prefix(length).write(to: URL(fileURLWithPath: path))
            #expect(throws: FileError.self) { try SafetensorsFile(path: path) }
        }
    }

    @Test func rejectsInconsistentOffsets() throws {
        let header = #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 16)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: FileError.self) { try SafetensorsFile(path: path) }
        #expect(error?.problem.contains("needs 16") == true)
    }
}
