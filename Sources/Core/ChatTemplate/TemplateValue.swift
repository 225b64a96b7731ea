/// A value handed to a chat template as a variable (`bos_token`, `tools`, ...).
public indirect enum TemplateValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case integer(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    /// Keys are iterated (and written by `tojson`) in sorted order.
    case object([String: TemplateValue])
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
}
