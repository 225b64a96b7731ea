/// One GGUF metadata value. Arrays keep their declared element type (so an empty array
/// still says what it holds) and may nest.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array(elementType: GGUFValueType, values: [GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    /// The value of any integer type, when it fits in an Int64.
    public var integer: Int64? {
        switch self {
        case .uint8(let value): Int64(value)
        case .int8(let value): Int64(value)
        case .uint16(let value): Int64(value)
        case .int16(let value): Int64(value)
        case .uint32(let value): Int64(value)
        case .int32(let value): Int64(value)
        case .uint64(let value): Int64(exactly: value)
        case .int64(let value): value
        default: nil
        }
    }

    /// The value of a FLOAT32 or FLOAT64.
    public var floatingPoint: Double? {
        switch self {
        case .float32(let value): Double(value)
        case .float64(let value): value
        default: nil
        }
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValues: [GGUFValue]? {
        if case .array(_, let values) = self { return values }
        return nil
    }
}
