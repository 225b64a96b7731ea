import Foundation

/// A safetensors file (Hugging Face's format: an 8-byte little-endian header length,
/// a JSON header, then raw little-endian tensor data), memory-mapped and validated:
/// every tensor's byte range must lie inside the data section and match its shape.
public struct SafetensorsFile: Sendable {
    public struct TensorInfo: Sendable, Equatable {
        public var dtype: SafetensorsDType
        public var shape: [Int]
        /// Absolute byte range in the file.
        public var byteRange: Range<Int>

        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let metadata: [String: String]
    public let tensors: [String: TensorInfo]
    private let file: MappedFile

    public var tensorNames: [String] { tensors.keys.sorted() }

    public init(path: String) throws(FileError) {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws(FileError) {
        self.file = file
        self.path = file.path
        let lengthBytes = try file.bytes(0..<8, what: "header length")
        let headerLength = Int(lengthBytes.loadUnaligned(as: UInt64.self).littleEndian & 0x7fff_ffff_ffff_ffff)
        guard headerLength <= 100_000_000 else {
            throw FileError(path: path, problem: "header length \(headerLength) is implausible (over 100 MB)")
        }
        let headerBytes = try file.bytes(8..<(8 + headerLength), what: "JSON header of \(headerLength) bytes")
        let dataStart = 8 + headerLength
        let header: JSONValue
        do {
            header = try JSONParser.parse(Array(headerBytes))
        } catch {
            throw FileError(path: path, problem: "header is not valid JSON: \(error)")
        }
        guard let members = header.objectMembers else {
            throw FileError(path: path, problem: "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        var keys = Set<String>()
        for member in members {
            guard keys.insert(member.key).inserted else {
                throw FileError(path: path, problem: "header lists \(member.key) twice")
            }
            if member.key == "__metadata__" {
                guard let entries = member.value.objectMembers else {
                    throw FileError(path: path, problem: "__metadata__ is not an object")
                }
                for entry in entries {
                    guard let string = entry.value.stringValue else {
                        throw FileError(path: path, problem: "__metadata__ value of \(entry.key) is not a string")
                    }
                    metadata[entry.key] = string
                }
                continue
            }
            tensors[member.key] = try Self.tensorInfo(name: member.key, value: member.value, dataStart: dataStart, file: file)
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    private static func tensorInfo(name: String, value: JSONValue, dataStart: Int, file: MappedFile) throws(FileError) -> TensorInfo {
        func fail(_ problem: String) -> FileError { FileError(path: file.path, problem: "tensor \(name): \(problem)") }
        guard let dtypeName = value["dtype"]?.stringValue,
              let shapeValues = value["shape"]?.arrayValue,
              let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2
        else { throw fail("entry needs dtype, shape and two data_offsets") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw fail("unsupported dtype \(dtypeName)") }
        var shape: [Int] = []
        var elementCount = 1
        for dimension in shapeValues {
            guard let size = dimension.integerValue, size >= 0, size <= Int64(Int32.max) else {
                throw fail("shape entry \(dimension.jsonText) is not a valid dimension")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: Int(size))
            guard !overflow else { throw fail("shape \(JSONValue.array(shapeValues).jsonText) overflows") }
            shape.append(Int(size))
            elementCount = product
        }
        // Offsets are checked against the data section before any arithmetic, so a huge
        // one is an error, not an overflow.
        let dataBytes = file.size - dataStart
        guard let begin = offsets[0].integerValue, let end = offsets[1].integerValue, begin >= 0, end >= begin else {
            throw fail("data_offsets \(JSONValue.array(offsets).jsonText) are not an increasing pair")
        }
        guard end <= Int64(dataBytes) else {
            throw fail("data [\(begin), \(end)) extends past the end of the data section (\(dataBytes) bytes)")
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount == Int(end - begin) else {
            throw fail("data_offsets span \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(byteCount)")
        }
        return TensorInfo(dtype: dtype, shape: shape, byteRange: (dataStart + Int(begin))..<(dataStart + Int(end)))
    }

    public func info(_ name: String) throws(FileError) -> TensorInfo {
        guard let info = tensors[name] else { throw FileError(path: path, problem: "no tensor named \(name)") }
        return info
    }

    /// The raw little-endian bytes of a tensor.
    public func rawBytes(_ name: String) throws(FileError) -> UnsafeRawBufferPointer {
        let info = try info(name)
        return try file.bytes(info.byteRange, what: "tensor \(name)")
    }

    /// A floating-point tensor widened to float32 (F32, F16, BF16, F64).
    public func floats(_ name: String) throws(FileError) -> [Float] {
        let info = try info(name)
        let bytes = try rawBytes(name)
        let count = info.elementCount
        switch info.dtype {
        case .f32:
            guard count > 0 else { return [] }
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                _ = memcpy(buffer.baseAddress!, bytes.baseAddress!, count * 4)
                initialized = count
            }
        case .f16:
            return (0..<count).map { Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .bf16:
            return (0..<count).map {
                Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16)
            }
        case .f64:
            return (0..<count).map { Float(bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
        default:
            throw FileError(path: path, problem: "tensor \(name) is \(info.dtype.rawValue), not a floating-point type")
        }
    }

    /// An integer tensor as Int32 (I32; I64 and smaller integers are converted, with a
    /// range check).
    public func int32s(_ name: String) throws(FileError) -> [Int32] {
        let info = try info(name)
        let bytes = try rawBytes(name)
        let count = info.elementCount
        switch info.dtype {
        case .i32:
            return (0..<count).map { bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        case .i64:
            var values: [Int32] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                let value = bytes.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self)
                guard let narrow = Int32(exactly: value) else {
                    throw FileError(path: path, problem: "tensor \(name) element \(index) = \(value) does not fit in Int32")
                }
                values.append(narrow)
            }
            return values
        case .i16:
            return (0..<count).map { Int32(bytes.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .i8:
            return (0..<count).map { Int32(bytes.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool:
            return (0..<count).map { Int32(bytes.load(fromByteOffset: $0, as: UInt8.self)) }
        default:
            throw FileError(path: path, problem: "tensor \(name) is \(info.dtype.rawValue), not an integer type")
        }
    }

    /// An I64 tensor as Int.
    public func int64s(_ name: String) throws(FileError) -> [Int64] {
        let info = try info(name)
        guard info.dtype == .i64 else { throw FileError(path: path, problem: "tensor \(name) is \(info.dtype.rawValue), not I64") }
        let bytes = try rawBytes(name)
        return (0..<info.elementCount).map { bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
    }
}
