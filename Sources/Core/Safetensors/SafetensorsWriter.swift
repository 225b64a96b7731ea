import Foundation

#if !_endian(little)
#error("safetensors data is little-endian and this writer copies host memory")
#endif

/// Why tensors could not be added to a safetensors file.
public struct SafetensorsWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var tensor: String
    public var reason: String

    public var description: String { "cannot write safetensors tensor '\(tensor)': \(reason)" }
}

/// Writes the safetensors format (8-byte little-endian header length, JSON header, raw
/// data) so that the same tensors and metadata always give the same bytes:
/// - the header lists `__metadata__` first (keys sorted, omitted when empty), then the
///   tensors in data order;
/// - data is ordered as the Rust `safetensors` crate orders it (by dtype, 8-byte types
///   first, then by name), so every tensor is aligned to its element size and the file
///   is byte-identical to `safetensors.numpy.save` of the same tensors and metadata
///   (up to the order of `__metadata__` keys, which Rust leaves to a hash map);
/// - the header is padded with spaces to a multiple of 8 bytes, as the Rust crate does.
public struct SafetensorsWriter: Sendable {
    public struct TensorDescriptor: Sendable, Equatable {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]

        public init(name: String, dtype: SafetensorsDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        public var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }
    }

    public var metadata: [String: String]
    private var tensors: [(descriptor: TensorDescriptor, data: [UInt8])] = []

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    public mutating func add(_ name: String, shape: [Int], int32 values: [Int32]) throws(SafetensorsWriteError) {
        try add(TensorDescriptor(name: name, dtype: .i32, shape: shape), elementCount: values.count,
                data: values.withUnsafeBytes { Array($0) })
    }

    public mutating func add(_ name: String, shape: [Int], int64 values: [Int64]) throws(SafetensorsWriteError) {
        try add(TensorDescriptor(name: name, dtype: .i64, shape: shape), elementCount: values.count,
                data: values.withUnsafeBytes { Array($0) })
    }

    public mutating func add(_ name: String, shape: [Int], float32 values: [Float]) throws(SafetensorsWriteError) {
        try add(TensorDescriptor(name: name, dtype: .f32, shape: shape), elementCount: values.count,
                data: values.withUnsafeBytes { Array($0) })
    }

    /// Adds a tensor of any dtype from its little-endian bytes.
    public mutating func add(_ descriptor: TensorDescriptor, bytes: [UInt8]) throws(SafetensorsWriteError) {
        guard bytes.count % descriptor.dtype.byteSize == 0 else {
            throw SafetensorsWriteError(tensor: descriptor.name, reason: "\(bytes.count) bytes is not a whole number of \(descriptor.dtype.rawValue) elements")
        }
        try add(descriptor, elementCount: bytes.count / descriptor.dtype.byteSize, data: bytes)
    }

    private mutating func add(_ descriptor: TensorDescriptor, elementCount: Int, data: [UInt8]) throws(SafetensorsWriteError) {
        guard !descriptor.name.isEmpty, descriptor.name != "__metadata__" else {
            throw SafetensorsWriteError(tensor: descriptor.name, reason: "the name is empty or reserved")
        }
        guard !tensors.contains(where: { $0.descriptor.name == descriptor.name }) else {
            throw SafetensorsWriteError(tensor: descriptor.name, reason: "a tensor of that name was already added")
        }
        guard descriptor.shape.allSatisfy({ $0 >= 0 }), descriptor.shape.reduce(1, *) == elementCount else {
            throw SafetensorsWriteError(tensor: descriptor.name, reason: "shape \(descriptor.shape) does not hold \(elementCount) elements")
        }
        tensors.append((descriptor, data))
    }

    /// The complete file.
    public func serialized() -> [UInt8] {
        let ordered = tensors.sorted { Self.dataOrder($0.descriptor, $1.descriptor) }
        var output = Self.prefix(for: ordered.map(\.descriptor), metadata: metadata)
        output.reserveCapacity(output.count + ordered.reduce(0) { $0 + $1.data.count })
        for tensor in ordered { output.append(contentsOf: tensor.data) }
        return output
    }

    /// Writes the bytes of `serialized()` to `path` (created or truncated) tensor by
    /// tensor, without assembling the whole file in memory (a model's weights).
    public func write(toFile path: String) throws(SafetensorsWriteError) {
        func fail(_ reason: String) -> SafetensorsWriteError { SafetensorsWriteError(tensor: "(file \(path))", reason: reason) }
        guard let file = fopen(path, "wb") else { throw fail("cannot create the file: errno \(errno)") }
        defer { fclose(file) }
        let ordered = tensors.sorted { Self.dataOrder($0.descriptor, $1.descriptor) }
        for bytes in [Self.prefix(for: ordered.map(\.descriptor), metadata: metadata)] + ordered.map(\.data) {
            let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            guard written == bytes.count else { throw fail("wrote \(written) of \(bytes.count) bytes: errno \(errno)") }
        }
        guard fflush(file) == 0 else { throw fail("cannot flush the file: errno \(errno)") }
    }

    /// The size `serialized()` gives for tensors of these shapes, without their data.
    public static func serializedSize(of descriptors: [TensorDescriptor], metadata: [String: String]) -> Int {
        let ordered = descriptors.sorted(by: dataOrder)
        return prefix(for: ordered, metadata: metadata).count + descriptors.reduce(0) { $0 + $1.byteCount }
    }

    private static func dataOrder(_ lhs: TensorDescriptor, _ rhs: TensorDescriptor) -> Bool {
        let lhsRank = rustOrderRank(lhs.dtype), rhsRank = rustOrderRank(rhs.dtype)
        if lhsRank != rhsRank { return lhsRank > rhsRank }
        return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }

    /// The position of a dtype in the Rust crate's `Dtype` enum, whose order (descending)
    /// it lays data out in; it never puts a smaller element before a larger one.
    private static func rustOrderRank(_ dtype: SafetensorsDType) -> Int {
        switch dtype {
        case .bool: return 0
        case .u8: return 1
        case .i8: return 2
        case .i16: return 5
        case .f16: return 7
        case .bf16: return 8
        case .i32: return 9
        case .f32: return 11
        case .f64: return 12
        case .i64: return 13
        }
    }

    /// The 8-byte header length and the padded header, for tensors already in data order.
    private static func prefix(for ordered: [TensorDescriptor], metadata: [String: String]) -> [UInt8] {
        var members: [JSONMember] = []
        if !metadata.isEmpty {
            let sortedMetadata = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            members.append(JSONMember("__metadata__", .object(sortedMetadata.map { JSONMember($0.key, .string($0.value)) })))
        }
        var offset = 0
        for descriptor in ordered {
            let end = offset + descriptor.byteCount
            members.append(JSONMember(descriptor.name, .object([
                JSONMember("dtype", .string(descriptor.dtype.rawValue)),
                JSONMember("shape", .array(descriptor.shape.map { .integer(Int64($0)) })),
                JSONMember("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(end))])),
            ])))
            offset = end
        }
        var header = JSONValue.object(members).jsonBytes
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var output: [UInt8] = []
        output.reserveCapacity(8 + header.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: header)
        return output
    }
}
