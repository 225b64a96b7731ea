import Foundation
import Testing
@testable import Core

@Suite struct GGUFFileTests {
    static func goldenMetadata() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("smollm2/gguf-metadata.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Compares one parsed value to the fixture's `{"type": [...], "value": ...}`.
    static func matches(_ value: GGUFValue, type: [String], golden: Any?) -> Bool {
        guard value.type.description == type.first else { return false }
        switch value {
        case .array(let elementType, let values):
            guard type.count == 2, elementType.description == type[1], let list = golden as? [Any], list.count == values.count else { return false }
            return zip(values, list).allSatisfy { matches($0, type: [type[1]], golden: $1) }
        case .string(let string): return golden as? String == string
        case .bool(let bool): return golden as? Bool == bool
        case .float32(let float): return (golden as? NSNumber)?.doubleValue == Double(float)
        case .float64(let double): return (golden as? NSNumber)?.doubleValue == double
        default: return (golden as? NSNumber)?.int64Value == value.integer
        }
    }

    @Test func smolLM2HeaderMetadataAndTensorsMatchTheFixture() throws {
        let golden = try Self.goldenMetadata()
        let gguf = try GGUFFile(path: TestPaths.smolLM2)
        #expect(gguf.version == 3)
        #expect(gguf.file.size == golden["file_size"] as? Int)
        #expect(gguf.alignment == 32)
        #expect(gguf.dataSectionOffset == 1_785_664)
        #expect(gguf.metadata["general.alignment"] == nil)

        let metadata = try #require(golden["metadata"] as? [String: [String: Any]])
        #expect(metadata["GGUF.tensor_count"]?["value"] as? Int == gguf.tensors.count)
        #expect(metadata["GGUF.kv_count"]?["value"] as? Int == gguf.metadataKeys.count)
        let fileKeys = metadata.keys.filter { !$0.hasPrefix("GGUF.") }
        #expect(Set(fileKeys) == Set(gguf.metadataKeys))
        for key in fileKeys {
            let entry = try #require(metadata[key])
            let value = try #require(gguf.metadata[key])
            if let length = entry["array_length"] as? Int {
                #expect(value.arrayValues?.count == length, "\(key)")
            } else {
                let type = try #require(entry["type"] as? [String])
                #expect(Self.matches(value, type: type, golden: entry["value"]), "\(key): \(value)")
            }
        }
        #expect(gguf.metadata["tokenizer.ggml.tokens"]?.arrayValues?.first == .string("<|endoftext|>"))
        #expect(gguf.metadata["tokenizer.ggml.merges"]?.arrayValues?.first == .string("Ġ t"))

        let tensors = try #require(golden["tensors"] as? [[String: Any]])
        #expect(tensors.count == 272)
        #expect(gguf.tensors.map(\.name) == tensors.map { $0["name"] as? String ?? "" })
        for (parsed, expected) in zip(gguf.tensors, tensors) {
            #expect(parsed.type.description == expected["type"] as? String, "\(parsed.name)")
            #expect(parsed.dimensions == expected["ne"] as? [Int], "\(parsed.name)")
            #expect(parsed.rowMajorShape == expected["row_major_shape"] as? [Int], "\(parsed.name)")
            #expect(parsed.elementCount == expected["n_elements"] as? Int, "\(parsed.name)")
            #expect(parsed.byteRange.count == expected["n_bytes"] as? Int, "\(parsed.name)")
            #expect(parsed.byteRange.lowerBound == expected["file_offset"] as? Int, "\(parsed.name)")
            #expect(parsed.offsetInDataSection == expected["offset_in_data_section"] as? Int, "\(parsed.name)")
        }
    }

    @Test func readsEveryValueTypeIncludingNestedArraysInVersion2() throws {
        var file = GGUFTestFile()
        file.version = 2
        let values: [(String, GGUFValue)] = [
            ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60000)), ("i16", .int16(-30000)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)),
            ("u64", .uint64(18_000_000_000_000_000_000)), ("i64", .int64(-9_000_000_000_000_000_000)),
            ("f32", .float32(0.1)), ("f64", .float64(-2.5e300)), ("yes", .bool(true)), ("no", .bool(false)),
            ("text", .string("héllo ✓")), ("empty", .string("")),
            ("ints", .array(elementType: .int32, values: [.int32(1), .int32(-2), .int32(3)])),
            ("nested", .array(elementType: .array, values: [
                .array(elementType: .string, values: [.string("a"), .string("bc")]),
                .array(elementType: .float64, values: []),
            ])),
        ]
        for (key, value) in values { file.add(key, value) }
        file.add("general.alignment", .uint32(64))
        file.addF32("t", dimensions: [3], values: [1, 2, 3])
        let temporary = TemporaryPath(".gguf")
        let gguf = try GGUFFile(path: try temporary.write(file.bytes))
        #expect(gguf.version == 2)
        #expect(gguf.metadataKeys == values.map(\.0) + ["general.alignment"])
        for (key, value) in values { #expect(gguf.metadata[key] == value, "\(key)") }
        #expect(gguf.alignment == 64)
        #expect(gguf.dataSectionOffset % 64 == 0)
        let error = #expect(throws: FileError.self) { try gguf.integer("u64") }
        #expect(error?.problem == "metadata u64 (UINT64) is not an integer that fits in Int")
        #expect(try gguf.floats("t") == [1, 2, 3])
    }

    @Test func typedMetadataAccessorsRejectWrongTypes() throws {
        var file = GGUFTestFile()
        file.add("name", .string("x"))
        file.add("count", .uint16(7))
        let temporary = TemporaryPath(".gguf")
        let gguf = try GGUFFile(path: try temporary.write(file.bytes))
        #expect(try gguf.integer("count") == 7)
        #expect(try gguf.integer("absent") == nil)
        let error = #expect(throws: FileError.self) { try gguf.integer("name") }
        #expect(error?.problem == "metadata name is STRING, expected an integer")
        #expect(throws: FileError.self) { try gguf.requiredString("absent") }
    }

    @Test func rejectsBadMagicVersionAndAlignment() throws {
        let temporary = TemporaryPath(".gguf")
        var file = GGUFTestFile()
        var bytes = file.bytes
        bytes[0] = UInt8(ascii: "X")
        var error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(bytes)) }
        #expect(error?.problem.contains("not a GGUF file") == true)

        file.version = 1
        error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "GGUF version 1 is not supported (only 2 and 3)")

        file.version = 3
        file.add("general.alignment", .uint32(24))
        error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(file.bytes)) }
        #expect(error?.problem.contains("general.alignment") == true)
    }

    @Test func rejectsInconsistentTensorInfos() throws {
        let temporary = TemporaryPath(".gguf")
        var file = GGUFTestFile()
        file.tensors = [.init(name: "q", type: .q8_0, dimensions: [33, 2], data: [UInt8](repeating: 0, count: 68))]
        var error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "tensor q row length ne[0] = 33 is not a multiple of the Q8_0 block size 32")

        file.tensors = [.init(name: "t", type: .f32, dimensions: [4], data: [UInt8](repeating: 0, count: 16))]
        var (bytes, infoOffset) = file.bytesWithTensorInfoOffset()
        // name (8 + 1) + n_dims (4) + ne (8) puts the type field here; 99 is no ggml type.
        bytes[infoOffset + 21] = 99
        error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(bytes)) }
        #expect(error?.problem == "tensor t has unknown ggml type 99")

        (bytes, infoOffset) = file.bytesWithTensorInfoOffset()
        bytes[infoOffset + 25] = 8  // data offset 8: not a multiple of 32
        error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(bytes)) }
        #expect(error?.problem == "tensor t data offset 8 is not a multiple of the alignment 32")

        file.tensors.append(file.tensors[0])
        error = #expect(throws: FileError.self) { try GGUFFile(path: try temporary.write(file.bytes)) }
        #expect(error?.problem == "tensor t appears twice")
    }

    @Test func truncatedSmolLM2CopiesGiveErrorsNamingTheFileAndProblem() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: TestPaths.smolLM2), options: .alwaysMapped)
        let temporary = TemporaryPath(".gguf")
        let cases: [(length: Int, expected: String)] = [
            (0, "magic byte 0 at byte 0 (1 bytes) extends past the end of the file (0 bytes)"),
            (6, "version at byte 4 (4 bytes) extends past the end of the file (6 bytes)"),
            (20, "tensor count = 272 at byte 8 cannot fit in the 4 bytes left of the file (20 bytes)"),
            (40, "tensor count = 272 at byte 8 cannot fit in the 24 bytes left of the file (40 bytes)"),
            (7000, "length of metadata tokenizer.ggml.tokens = 49152 at byte"),
            (1_000_000, "length of metadata tokenizer.ggml.merges = 48900 at byte 960187 cannot fit in the 39805 bytes left of the file (1000000 bytes)"),
            (1_780_000, "length of name of tensor 176 at byte 1779998 (8 bytes) extends past the end of the file (1780000 bytes)"),
            (40_000_000, "tensor blk.11.ffn_up.weight data [39624256, 40177216) extends past end of file (40000000 bytes)"),
            (original.count - 1, "tensor output_norm.weight data [98360128, 98362432) extends past end of file (98362431 bytes)"),
        ]
        for (length, expected) in cases {
            let path = try temporary.write(Array(original.prefix(length)))
            let error = #expect(throws: FileError.self) { try GGUFFile(path: path) }
            #expect(error?.path == path)
            #expect(error?.problem.contains(expected) == true, "\(length): \(error?.problem ?? "no error")")
        }
    }

    @Test func corruptedLengthFieldsAreRefusedWithoutAllocating() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.smolLM2), options: .alwaysMapped).prefix(1_785_664))
        let key = Array("tokenizer.ggml.tokens".utf8)
        let keyStart = try #require((0..<(original.count - key.count)).first { Array(original[$0..<($0 + key.count)]) == key })
        let arrayLengthOffset = keyStart + key.count + 8
        let firstStringLengthOffset = arrayLengthOffset + 8
        #expect(original[arrayLengthOffset..<(arrayLengthOffset + 8)].elementsEqual(GGUFTestFile.le(UInt64(49152))))
        let temporary = TemporaryPath(".gguf")
        let cases: [(offset: Int, value: UInt64, expected: String)] = [
            (8, UInt64.max, "tensor count = 18446744073709551615 at byte 8 cannot fit"),
            (16, 1 << 40, "metadata key/value count = 1099511627776 at byte 16 cannot fit"),
            (arrayLengthOffset, 1 << 50, "length of metadata tokenizer.ggml.tokens = 1125899906842624 at byte \(arrayLengthOffset) cannot fit"),
            (firstStringLengthOffset, UInt64.max - 7, "length of metadata tokenizer.ggml.tokens[0] = 18446744073709551608 at byte \(firstStringLengthOffset) cannot fit"),
        ]
        for (offset, value, expected) in cases {
            var bytes = original
            bytes.replaceSubrange(offset..<(offset + 8), with: GGUFTestFile.le(value))
            let path = try temporary.write(bytes)
            let error = #expect(throws: FileError.self) { try GGUFFile(path: path) }
            #expect(error?.problem.hasPrefix(expected) == true, "\(error?.problem ?? "no error")")
        }
    }
}
