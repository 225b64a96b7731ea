/// A GGUF file (llama.cpp's model format, versions 2 and 3), memory-mapped: the header,
/// every metadata key/value, the tensor directory and the data section, all validated
/// against the file size when opened. Tensor data is read (and dequantised) on demand.
///
/// Layout: magic `GGUF`, u32 version, u64 tensor count, u64 key/value count, the
/// key/values, the tensor infos (name, u32 dimension count, u64 `ne` per dimension,
/// u32 ggml type, u64 offset), padding to `general.alignment` (default 32), then the
/// data section; every tensor offset is relative to that section and aligned.
public struct GGUFFile: Sendable {
    public static let magic: [UInt8] = Array("GGUF".utf8)
    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    static let maximumDimensionCount = 4
    /// Nested arrays deeper than this are refused (a crafted file could otherwise
    /// recurse until the stack overflows).
    static let maximumArrayNesting = 8

    public let path: String
    public let version: UInt32
    /// Keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    public let dataSectionOffset: Int
    public let file: MappedFile
    private let tensorIndex: [String: Int]

    public init(path: String) throws(FileError) {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws(FileError) {
        self.file = file
        path = file.path
        var reader = GGUFByteReader(bytes: file.contents, path: file.path)

        let magicBytes = try (0..<4).map { (index: Int) throws(FileError) -> UInt8 in try reader.read(UInt8.self, "magic byte \(index)") }
        guard magicBytes == Self.magic else {
            throw reader.error("not a GGUF file (magic \(magicBytes) is not \"GGUF\")")
        }
        version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            throw reader.error("GGUF version \(version) is not supported (only 2 and 3)")
        }
        let tensorCount = try reader.readCount("tensor count", minimumItemSize: 24)
        let keyValueCount = try reader.readCount("metadata key/value count", minimumItemSize: 13)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(keyValueCount)
        for index in 0..<keyValueCount {
            let key = try reader.readString("key of metadata entry \(index)")
            guard metadata[key] == nil else { throw reader.error("metadata key \(key) appears twice") }
            let rawType = try reader.read(UInt32.self, "value type of metadata \(key)")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw reader.error("metadata \(key) has unknown value type \(rawType)")
            }
            metadata[key] = try Self.readValue(type: type, reader: &reader, what: "metadata \(key)", depth: 0)
            keys.append(key)
        }
        metadataKeys = keys
        self.metadata = metadata

        if let value = metadata["general.alignment"] {
            guard case .uint32(let declared) = value, declared > 0, declared.nonzeroBitCount == 1 else {
                throw reader.error("general.alignment \(value) is not a UINT32 power of two")
            }
            alignment = Int(declared)
        } else {
            alignment = Self.defaultAlignment
        }

        var pending: [(name: String, type: GGMLType, dimensions: [Int], offset: Int, byteCount: Int)] = []
        pending.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for position in 0..<tensorCount {
            let name = try reader.readString("name of tensor \(position)")
            guard index[name] == nil else { throw reader.error("tensor \(name) appears twice") }
            let dimensionCount = try reader.read(UInt32.self, "dimension count of tensor \(name)")
            guard (1...UInt32(Self.maximumDimensionCount)).contains(dimensionCount) else {
                throw reader.error("tensor \(name) has \(dimensionCount) dimensions (1 to \(Self.maximumDimensionCount) allowed)")
            }
            var dimensions: [Int] = []
            var elementCount = 1
            for axis in 0..<Int(dimensionCount) {
                let raw = try reader.read(UInt64.self, "ne[\(axis)] of tensor \(name)")
                guard raw <= UInt64(Int32.max) else {
                    throw reader.error("tensor \(name) ne[\(axis)] = \(raw) is implausibly large")
                }
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: Int(raw))
                guard !overflow, product <= file.size * 256 else {
                    throw reader.error("tensor \(name) ne \(dimensions + [Int(raw)]) has more elements than the file could hold")
                }
                dimensions.append(Int(raw))
                elementCount = product
            }
            let rawType = try reader.read(UInt32.self, "type of tensor \(name)")
            guard let type = GGMLType(rawValue: rawType) else {
                throw reader.error("tensor \(name) has unknown ggml type \(rawType)")
            }
            guard dimensions[0] % type.blockSize == 0 else {
                throw reader.error("tensor \(name) row length ne[0] = \(dimensions[0]) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let byteCount = elementCount / type.blockSize * type.typeSize
            let rawOffset = try reader.read(UInt64.self, "data offset of tensor \(name)")
            guard rawOffset <= UInt64(Int32.max) * 1024 else {
                throw reader.error("tensor \(name) data offset \(rawOffset) is implausibly large")
            }
            let offset = Int(rawOffset)
            guard offset % alignment == 0 else {
                throw reader.error("tensor \(name) data offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            index[name] = position
            pending.append((name, type, dimensions, offset, byteCount))
        }
        tensorIndex = index

        reader.align(to: alignment)
        dataSectionOffset = reader.offset
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(pending.count)
        for entry in pending {
            let start = dataSectionOffset + entry.offset
            let end = start + entry.byteCount
            guard end <= file.size else {
                throw reader.error("tensor \(entry.name) data [\(start), \(end)) extends past end of file (\(file.size) bytes)")
            }
            tensors.append(GGUFTensorInfo(
                name: entry.name, type: entry.type, dimensions: entry.dimensions,
                offsetInDataSection: entry.offset, byteRange: start..<end))
        }
        self.tensors = tensors
    }

    private static func readValue(
        type: GGUFValueType, reader: inout GGUFByteReader, what: String, depth: Int
    ) throws(FileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, what))
        case .int8: return .int8(try reader.read(Int8.self, what))
        case .uint16: return .uint16(try reader.read(UInt16.self, what))
        case .int16: return .int16(try reader.read(Int16.self, what))
        case .uint32: return .uint32(try reader.read(UInt32.self, what))
        case .int32: return .int32(try reader.read(Int32.self, what))
        case .uint64: return .uint64(try reader.read(UInt64.self, what))
        case .int64: return .int64(try reader.read(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try reader.read(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try reader.read(UInt64.self, what)))
        case .bool:
            let start = reader.offset
            let raw = try reader.read(UInt8.self, what)
            guard raw <= 1 else { throw reader.error("\(what) at byte \(start) is a BOOL with value \(raw)") }
            return .bool(raw == 1)
        case .string:
            return .string(try reader.readString(what))
        case .array:
            guard depth < maximumArrayNesting else {
                throw reader.error("\(what) nests arrays deeper than \(maximumArrayNesting) levels")
            }
            let rawElementType = try reader.read(UInt32.self, "element type of \(what)")
            guard let elementType = GGUFValueType(rawValue: rawElementType) else {
                throw reader.error("\(what) has unknown array element type \(rawElementType)")
            }
            let count = try reader.readCount("length of \(what)", minimumItemSize: elementType.minimumByteSize)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for element in 0..<count {
                values.append(try readValue(type: elementType, reader: &reader, what: "\(what)[\(element)]", depth: depth + 1))
            }
            return .array(elementType: elementType, values: values)
        }
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The raw bytes of a tensor's data.
    public func bytes(of tensor: GGUFTensorInfo) throws(FileError) -> UnsafeRawBufferPointer {
        try file.bytes(tensor.byteRange, what: "tensor \(tensor.name) data")
    }

    /// A tensor dequantised to float32, in file (GGUF) order.
    public func floats(_ name: String) throws(FileError) -> [Float] {
        guard let tensor = tensor(named: name) else { throw FileError(path: path, problem: "no tensor named \(name)") }
        return try Dequantization.floats(of: tensor, bytes: bytes(of: tensor), path: path)
    }
}
