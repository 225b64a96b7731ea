/// Dequantisation of ggml tensor data to float32, one function per supported type,
/// each converting `count` elements (a whole number of blocks) from `source` into
/// `destination`. Results are exactly those of ggml / gguf-py: f16 and bf16 widen
/// exactly, and block products are float32 `d * q` (`+ m`), unfused.
public enum Dequantization {
    /// The types these functions decode.
    public static let supportedTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

    /// Decodes `count` elements of `type`; throws for types without a decoder.
    public static func decode(
        _ type: GGMLType, from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int,
        tensor: String, path: String
    ) throws(FileError) {
        switch type {
        case .f32: decodeF32(from: source, into: destination, count: count)
        case .f16: decodeF16(from: source, into: destination, count: count)
        case .bf16: decodeBF16(from: source, into: destination, count: count)
        case .q8_0: decodeQ8_0(from: source, into: destination, count: count)
        case .q4_0: decodeQ4_0(from: source, into: destination, count: count)
        case .q4_1: decodeQ4_1(from: source, into: destination, count: count)
        default:
            throw unsupported(type, tensor: tensor, path: path)
        }
    }

    static func unsupported(_ type: GGMLType, tensor: String, path: String) -> FileError {
        FileError(path: path, problem: "tensor \(tensor) has type \(type), which cannot be dequantised (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
    }

    /// A whole tensor dequantised, in file order.
    public static func floats(of tensor: GGUFTensorInfo, bytes: UnsafeRawBufferPointer, path: String) throws(FileError) -> [Float] {
        guard supportedTypes.contains(tensor.type) else { throw unsupported(tensor.type, tensor: tensor.name, path: path) }
        let count = tensor.elementCount
        guard count > 0 else { return [] }
        var failure: FileError?
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FileError) {
                try decode(tensor.type, from: bytes.baseAddress!, into: buffer.baseAddress!, count: count, tensor: tensor.name, path: path)
            } catch {
                failure = error
            }
            initialized = count
        }
        if let failure { throw failure }
        return values
    }

    public static func decodeF32(from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
    }

    public static func decodeF16(from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count {
            destination[index] = halfToFloat(source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
        }
    }

    public static func decodeBF16(from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
            destination[index] = Float(bitPattern: UInt32(bits) << 16)
        }
    }

    /// Q8_0 block (34 bytes): f16 scale `d`, 32 int8 `q`; `w[j] = d * q[j]`.
    public static func decodeQ8_0(from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for block in 0..<(count / 32) {
            let base = source + block * 34
            let d = halfToFloat(base.loadUnaligned(as: UInt16.self))
            let quants = (base + 2).assumingMemoryBound(to: Int8.self)
            let out = destination + block * 32
            for j in 0..<32 {
                out[j] = d * Float(quants[j])
            }
        }
    }

    /// Q4_0 block (18 bytes): f16 scale `d`, 16 bytes `qs`; `w[j] = d * ((qs[j] & 15) - 8)`,
    /// `w[j + 16] = d * ((qs[j] >> 4) - 8)`.
    public static func decodeQ4_0(from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for block in 0..<(count / 32) {
            let base = source + block * 18
            let d = halfToFloat(base.loadUnaligned(as: UInt16.self))
            let quants = (base + 2).assumingMemoryBound(to: UInt8.self)
            let out = destination + block * 32
            for j in 0..<16 {
                let byte = quants[j]
                out[j] = Float(Int32(byte & 0x0F) - 8) * d
                out[j + 16] = Float(Int32(byte >> 4) - 8) * d
            }
        }
    }

    /// Q4_1 block (20 bytes): f16 scale `d`, f16 minimum `m`, 16 bytes `qs`;
    /// `w[j] = d * (qs[j] & 15) + m`, `w[j + 16] = d * (qs[j] >> 4) + m`.
    public static func decodeQ4_1(from source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for block in 0..<(count / 32) {
            let base = source + block * 20
            let d = halfToFloat(base.loadUnaligned(as: UInt16.self))
            let m = halfToFloat(base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let quants = (base + 4).assumingMemoryBound(to: UInt8.self)
            let out = destination + block * 32
            for j in 0..<16 {
                let byte = quants[j]
                let low = d * Float(byte & 0x0F)
                let high = d * Float(byte >> 4)
                out[j] = low + m
                out[j + 16] = high + m
            }
        }
    }

    /// IEEE half (little-endian bits) to float, exactly.
    @inline(__always)
    static func halfToFloat(_ littleEndianBits: UInt16) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: littleEndianBits)))
    }
}
