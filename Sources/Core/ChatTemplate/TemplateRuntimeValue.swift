import Foundation

/// A value while a template renders: Python's types as Jinja sees them, plus Jinja's
/// `Undefined` and namespaces (held by the renderer so `ns.x = ...` can mutate them).
enum TemplateRuntimeValue: Sendable {
    /// A missing variable, attribute or item; the text says what was looked up.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateRuntimeValue])
    case dictionary(TemplateDictionary)
    /// Index into the renderer's namespace store.
    case namespace(Int)

    init(_ value: TemplateValue) {
        switch value {
        case .none: self = .none
        case .bool(let bool): self = .bool(bool)
        case .integer(let int): self = .int(int)
        case .double(let double): self = .double(double)
        case .string(let string): self = .string(string)
        case .array(let items): self = .list(items.map(TemplateRuntimeValue.init))
        case .object(let object):
            var dictionary = TemplateDictionary()
            for key in object.keys.sorted() { dictionary[key] = TemplateRuntimeValue(object[key]!) }
            self = .dictionary(dictionary)
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let bool): return bool
        case .int(let int): return int != 0
        case .double(let double): return double != 0
        case .string(let string): return !string.isEmpty
        case .list(let items): return !items.isEmpty
        case .dictionary(let dictionary): return !dictionary.keys.isEmpty
        case .namespace: return true
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        }
    }

    /// Python's `str()`: what `{{ value }}` prints (undefined prints nothing).
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let string): return string
        default: return pythonRepresentation
        }
    }

    /// Python's `repr()`.
    var pythonRepresentation: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let bool): return bool ? "True" : "False"
        case .int(let int): return String(int)
        case .double(let double): return Self.pythonFloat(double)
        case .string(let string):
            let quote: Character = string.contains("'") && !string.contains("\"") ? "\"" : "'"
            var result = String(quote)
            for character in string {
                switch character {
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case "\r": result += "\\r"
                case "\t": result += "\\t"
                case quote: result += "\\\(quote)"
                default: result.append(character)
                }
            }
            result.append(quote)
            return result
        case .list(let items):
            return "[" + items.map(\.pythonRepresentation).joined(separator: ", ") + "]"
        case .dictionary(let dictionary):
            let entries = dictionary.keys.map { key in
                TemplateRuntimeValue.string(key).pythonRepresentation + ": " + dictionary[key]!.pythonRepresentation
            }
            return "{" + entries.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        }
    }

    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e16 { return String(format: "%.1f", value) }
        return "\(value)"
    }

    /// Python equality: numbers compare by value across int/float/bool, containers deeply.
    func pythonEquals(_ other: TemplateRuntimeValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dictionary(let a), .dictionary(let b)):
            return a.keys.count == b.keys.count && a.keys.allSatisfy { key in
                b[key].map { a[key]!.pythonEquals($0) } ?? false
            }
        case (.namespace(let a), .namespace(let b)): return a == b
        default:
            if let a = numericValue, let b = other.numericValue { return a == b }
            return false
        }
    }

    /// Numbers (and bools, as in Python) as a Double for comparison.
    var numericValue: Double? {
        switch self {
        case .bool(let bool): return bool ? 1 : 0
        case .int(let int): return Double(int)
        case .double(let double): return double
        default: return nil
        }
    }
}

/// A dict with string keys that remembers insertion order, as Python's does.
struct TemplateDictionary: Sendable {
    private(set) var keys: [String] = []
    private var storage: [String: TemplateRuntimeValue] = [:]

    subscript(key: String) -> TemplateRuntimeValue? {
        get { storage[key] }
        set {
            if storage[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil, storage[key] != nil { keys.removeAll { $0 == key } }
            storage[key] = newValue
        }
    }

    var values: [TemplateRuntimeValue] { keys.map { storage[$0]! } }
}
