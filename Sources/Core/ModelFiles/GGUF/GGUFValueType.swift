/// The value types of GGUF metadata (the `gguf_type` enum of llama.cpp's gguf.h).
public enum GGUFValueType: UInt32, Sendable, Equatable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// Bytes of one value of a fixed-size type; nil for strings and arrays.
    var fixedByteSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    /// The fewest bytes one value can occupy in a file: a string is at least its 8-byte
    /// length, an array its 4-byte element type and 8-byte count. Used to refuse counts
    /// that could not fit in the rest of the file before allocating for them.
    var minimumByteSize: Int {
        switch self {
        case .string: 8
        case .array: 12
        default: fixedByteSize ?? 1
        }
    }

    public var description: String {
        switch self {
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .uint32: "UINT32"
        case .int32: "INT32"
        case .float32: "FLOAT32"
        case .bool: "BOOL"
        case .string: "STRING"
        case .array: "ARRAY"
        case .uint64: "UINT64"
        case .int64: "INT64"
        case .float64: "FLOAT64"
        }
    }
}
