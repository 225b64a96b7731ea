/// Jinja tests (`value is name(arguments)`).
extension TemplateRenderer {
    /// Every test `applyTest` implements; the parser rejects others up front.
    static let knownTests: Set<String> = [
        "defined", "undefined", "none", "string", "boolean", "true", "false", "integer", "float",
        "number", "mapping", "iterable", "sequence", "callable", "lower", "upper", "even", "odd",
        "divisibleby", "eq", "equalto", "==", "sameas", "ne", "!=", "lt", "<", "le", "<=", "gt",
        ">", "greaterthan", "ge", ">=", "in",
    ]

    func applyTest(_ name: String, to value: TemplateRuntimeValue, arguments: [TemplateRuntimeValue], at position: SourcePosition) throws(TemplateError) -> Bool {
        func argument() throws(TemplateError) -> TemplateRuntimeValue {
            guard let first = arguments.first else {
                throw TemplateError(.runtime, "test '\(name)' needs an argument", at: position)
            }
            return first
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number": return value.numericValue != nil
        case "mapping": if case .dictionary = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .list, .dictionary, .string: return true
            default: return false
            }
        case "callable": return false
        case "lower": if case .string(let s) = value { return s == s.lowercased() } else { return false }
        case "upper": if case .string(let s) = value { return s == s.uppercased() } else { return false }
        case "even", "odd", "divisibleby":
            guard case .int(let int) = value else {
                throw TemplateError(.runtime, "test '\(name)' needs an integer, not \(value.typeName)", at: position)
            }
            if name == "even" { return int % 2 == 0 }
            if name == "odd" { return int % 2 != 0 }
            guard case .int(let divisor) = try argument(), divisor != 0 else {
                throw TemplateError(.runtime, "divisibleby needs a non-zero integer", at: position)
            }
            return int % divisor == 0
        case "eq", "equalto", "==", "sameas": return value.pythonEquals(try argument())
        case "ne", "!=": return !value.pythonEquals(try argument())
        case "lt", "<": return try compare(.less, value, try argument(), at: position)
        case "le", "<=": return try compare(.lessOrEqual, value, try argument(), at: position)
        case "gt", ">", "greaterthan": return try compare(.greater, value, try argument(), at: position)
        case "ge", ">=": return try compare(.greaterOrEqual, value, try argument(), at: position)
        case "in": return try contains(try argument(), value, at: position)
        default:
            throw TemplateError(.unsupported, "unknown test '\(name)'", at: position)
        }
    }
}
