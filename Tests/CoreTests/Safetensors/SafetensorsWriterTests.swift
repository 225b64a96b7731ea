import Foundation
import Testing
@testable import Core

@Suite struct SafetensorsWriterTests {
    static func example() throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: ["k": "v", "a key": "a \"value\""])
        try writer.add("b", shape: [2], int32: [1, -2])
        try writer.add("a", shape: [1, 1], float32: [1.5])
        try writer.add("c", shape: [1], int64: [7])
        return writer
    }

    @Test func headerLayout() throws {
        let bytes = try Self.example().serialized()
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let json = #"{"__metadata__":{"a key":"a \"value\"","k":"v"},"#
            + #""c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"#
            + #""a":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]},"#
            + #""b":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}}"#
        #expect(header == json + String(repeating: " ", count: headerLength - json.utf8.count))
        #expect(headerLength - json.utf8.count < 8)
        let data = Array(bytes[(8 + headerLength)...])
        #expect(data == [7, 0, 0, 0, 0, 0, 0, 0] + [0x00, 0x00, 0xC0, 0x3F] + [1, 0, 0, 0] + [0xFE, 0xFF, 0xFF, 0xFF])
        #expect(SafetensorsWriter.serializedSize(of: [
            .init(name: "b", dtype: .i32, shape: [2]), .init(name: "a", dtype: .f32, shape: [1, 1]), .init(name: "c", dtype: .i64, shape: [1]),
        ], metadata: ["k": "v", "a key": "a \"value\""]) == bytes.count)
    }

    @Test func sameInputSameBytesWhateverTheOrder() throws {
        var reordered = SafetensorsWriter(metadata: ["a key": "a \"value\"", "k": "v"])
        try reordered.add("c", shape: [1], int64: [7])
        try reordered.add("a", shape: [1, 1], float32: [1.5])
        try reordered.add("b", shape: [2], int32: [1, -2])
        #expect(try Self.example().serialized() == reordered.serialized())
        #expect(try Self.example().serialized() == Self.example().serialized())
    }

    @Test func noMetadataAndEmptyTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add("e", shape: [0, 4], float32: [])
        let bytes = writer.serialized()
        let json = #"{"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}}"#
        #expect(bytes.count == 8 + (json.utf8.count + 7) / 8 * 8)
        #expect(String(decoding: bytes[8...], as: UTF8.self).trimmingCharacters(in: .whitespaces) == json)
    }

    @Test func rejectsBadTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add("x", shape: [2], int32: [1, 2])
        #expect(throws: SafetensorsWriteError.self) { try writer.add("x", shape: [1], int32: [1]) }
        #expect(throws: SafetensorsWriteError.self) { try writer.add("y", shape: [3], int32: [1, 2]) }
        #expect(throws: SafetensorsWriteError.self) { try writer.add("__metadata__", shape: [1], int32: [1]) }
        #expect(throws: SafetensorsWriteError.self) { try writer.add(.init(name: "z", dtype: .f16, shape: [2]), bytes: [1, 2, 3]) }
        try writer.add(.init(name: "h", dtype: .f16, shape: [2]), bytes: [0, 0x3C, 0, 0xC0])
    }

    @Test func readsBackWithTheSafetensorsReader() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(Self.example().serialized()).write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["k": "v", "a key": "a \"value\""])
        #expect(try file.int32s("b") == [1, -2])
        #expect(try file.floats("a") == [1.5])
        #expect(try file.int64s("c") == [7])
        #expect(try file.info("a").shape == [1, 1])
    }
}
