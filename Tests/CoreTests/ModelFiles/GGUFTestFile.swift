import Foundation
@testable import Core

/// Builds small GGUF files byte by byte for tests (every value type, chosen versions,
/// alignments and tensor types), so the reader can be checked on files no tool wrote.
struct GGUFTestFile {
    struct Tensor {
        var name: String
        var type: GGMLType
        var dimensions: [Int]
        var data: [UInt8]
    }

    var version: UInt32 = 3
    var metadata: [(key: String, value: GGUFValue)] = []
    var tensors: [Tensor] = []

    var alignment: Int {
        for entry in metadata where entry.key == "general.alignment" {
            if case .uint32(let value) = entry.value { return Int(value) }
        }
        return 32
    }

    mutating func add(_ key: String, _ value: GGUFValue) {
        metadata.append((key, value))
    }

    mutating func addF32(_ name: String, dimensions: [Int], values: [Float]) {
        precondition(values.count == dimensions.reduce(1, *))
        tensors.append(Tensor(name: name, type: .f32, dimensions: dimensions, data: values.flatMap { Self.le($0.bitPattern) }))
    }

    static func le<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func encodeString(_ string: String) -> [UInt8] {
        le(UInt64(string.utf8.count)) + Array(string.utf8)
    }

    static func encodePayload(_ value: GGUFValue) -> [UInt8] {
        switch value {
        case .uint8(let v): le(v)
        case .int8(let v): le(v)
        case .uint16(let v): le(v)
        case .int16(let v): le(v)
        case .uint32(let v): le(v)
        case .int32(let v): le(v)
        case .uint64(let v): le(v)
        case .int64(let v): le(v)
        case .float32(let v): le(v.bitPattern)
        case .float64(let v): le(v.bitPattern)
        case .bool(let v): [v ? 1 : 0]
        case .string(let v): encodeString(v)
        case .array(let elementType, let values):
            le(elementType.rawValue) + le(UInt64(values.count)) + values.flatMap { encodePayload($0) }
        }
    }

    /// The file's bytes and the offset where the tensor infos start.
    func bytesWithTensorInfoOffset() -> (bytes: [UInt8], tensorInfoOffset: Int) {
        var bytes = Array("GGUF".utf8) + Self.le(version) + Self.le(UInt64(tensors.count)) + Self.le(UInt64(metadata.count))
        for entry in metadata {
            bytes += Self.encodeString(entry.key) + Self.le(entry.value.type.rawValue) + Self.encodePayload(entry.value)
        }
        let tensorInfoOffset = bytes.count
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset = (offset + tensor.data.count + alignment - 1) / alignment * alignment
        }
        for (tensor, offset) in zip(tensors, offsets) {
            bytes += Self.encodeString(tensor.name) + Self.le(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { bytes += Self.le(UInt64(dimension)) }
            bytes += Self.le(tensor.type.rawValue) + Self.le(UInt64(offset))
        }
        let dataStart = (bytes.count + alignment - 1) / alignment * alignment
        bytes += [UInt8](repeating: 0, count: dataStart - bytes.count)
        for (tensor, offset) in zip(tensors, offsets) {
            bytes += [UInt8](repeating: 0, count: dataStart + offset - bytes.count)
            bytes += tensor.data
        }
        return (bytes, tensorInfoOffset)
    }

    var bytes: [UInt8] { bytesWithTensorInfoOffset().bytes }
}

/// A temporary file or directory removed when the test is done with it.
final class TemporaryPath {
    let path: String

    init(_ suffix: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("modelfiles-\(UUID())\(suffix)").path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
