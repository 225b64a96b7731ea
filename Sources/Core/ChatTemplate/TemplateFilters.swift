/// Jinja filters (`value | name(arguments)`) as Hugging Face's chat-template
/// environment defines them (its `tojson` does not HTML-escape).
extension TemplateRenderer {
    /// Every filter `applyFilter` implements; the parser rejects others up front.
    static let knownFilters: Set<String> = [
        "trim", "tojson", "length", "count", "upper", "lower", "capitalize", "title", "string",
        "safe", "first", "last", "join", "default", "d", "int", "float", "abs", "list", "reverse",
        "items", "replace", "map", "select", "reject", "selectattr", "rejectattr",
    ]

    func applyFilter(_ name: String, to value: TemplateRuntimeValue, arguments: EvaluatedArguments, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        let args = arguments.positional
        func argument(_ index: Int, _ keyword: String) -> TemplateRuntimeValue? {
            index < args.count ? args[index] : arguments.keywords[keyword]
        }
        func defined(_ value: TemplateRuntimeValue) throws(TemplateError) -> TemplateRuntimeValue {
            if case .undefined(let reason) = value {
                throw TemplateError(.runtime, "\(reason) (input of filter '\(name)')", at: position)
            }
            return value
        }
        switch name {
        case "trim":
            var characters: String?
            if case .string(let chars)? = argument(0, "chars") { characters = chars }
            return .string(PythonString.strip(value.pythonString, characters, leading: true, trailing: true))
        case "tojson":
            var indent: Int?
            if case .int(let width)? = argument(0, "indent") { indent = width }
            let sortKeys = argument(1, "sort_keys")?.isTruthy ?? false
            return .string(try TemplateJSON.encode(try defined(value), indent: indent, sortKeys: sortKeys, at: position))
        case "length", "count":
            switch value {
            case .undefined: return .int(0)
            case .string(let string): return .int(string.unicodeScalars.count)
            case .list(let items): return .int(items.count)
            case .dictionary(let dictionary): return .int(dictionary.keys.count)
            default: throw TemplateError(.runtime, "object of type '\(value.typeName)' has no len()", at: position)
            }
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(PythonString.capitalize(value.pythonString))
        case "title": return .string(PythonString.title(value.pythonString))
        case "string": return .string(value.pythonString)
        case "safe": return value
        case "first", "last":
            let items = try iterate(try defined(value), at: position)
            guard let item = name == "first" ? items.first : items.last else {
                return .undefined("'\(name)' of an empty sequence")
            }
            return item
        case "join":
            var separator = ""
            if case .string(let given)? = argument(0, "d") { separator = given }
            var items = try iterate(value, at: position)
            if case .string(let attributeName)? = argument(1, "attribute") {
                var mapped: [TemplateRuntimeValue] = []
                for item in items { mapped.append(try attribute(attributeName, of: item, at: position)) }
                items = mapped
            }
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let useFalsiness = argument(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (useFalsiness && !value.isTruthy) { return fallback }
            return value
        case "int":
            switch value {
            case .int: return value
            case .bool(let bool): return .int(bool ? 1 : 0)
            case .double(let double): return .int(Int(double))
            case .string(let string):
                let trimmed = PythonString.strip(string, nil, leading: true, trailing: true)
                if let int = Int(trimmed) { return .int(int) }
                if let double = Double(trimmed) { return .int(Int(double)) }
                return argument(0, "default") ?? .int(0)
            default: return argument(0, "default") ?? .int(0)
            }
        case "float":
            if let number = value.numericValue { return .double(number) }
            if case .string(let string) = value, let double = Double(PythonString.strip(string, nil, leading: true, trailing: true)) {
                return .double(double)
            }
            return argument(0, "default") ?? .double(0)
        case "abs":
            switch try defined(value) {
            case .int(let int): return .int(abs(int))
            case .double(let double): return .double(abs(double))
            default: throw TemplateError(.runtime, "bad operand type for abs(): '\(value.typeName)'", at: position)
            }
        case "list": return .list(try iterate(try defined(value), at: position))
        case "reverse":
            if case .string(let string) = value { return .string(String(string.unicodeScalars.reversed().map(Character.init))) }
            return .list(try iterate(try defined(value), at: position).reversed())
        case "items":
            guard case .dictionary(let dictionary) = value else {
                if value.isUndefined { return .list([]) }
                throw TemplateError(.runtime, "items filter needs a dict, not \(value.typeName)", at: position)
            }
            return .list(dictionary.keys.map { .list([.string($0), dictionary[$0]!]) })
        case "replace":
            guard case .string(let old)? = argument(0, "old"), case .string(let new)? = argument(1, "new") else {
                throw TemplateError(.runtime, "replace filter takes two strings", at: position)
            }
            var count = -1
            if case .int(let limit)? = argument(2, "count") { count = limit }
            return .string(PythonString.replace(value.pythonString, old, new, count: count))
        case "map":
            let items = try iterate(value, at: position)
            var mapped: [TemplateRuntimeValue] = []
            if case .string(let attributeName)? = arguments.keywords["attribute"] {
                for item in items {
                    let found = try attribute(attributeName, of: item, at: position)
                    mapped.append(found.isUndefined ? (arguments.keywords["default"] ?? found) : found)
                }
            } else if case .string(let filterName)? = args.first {
                let rest = EvaluatedArguments(positional: Array(args.dropFirst()), keywords: arguments.keywords, keywordOrder: arguments.keywordOrder)
                for item in items { mapped.append(try applyFilter(filterName, to: item, arguments: rest, at: position)) }
            } else {
                throw TemplateError(.runtime, "map needs a filter name or attribute=", at: position)
            }
            return .list(mapped)
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = args
            var attributeName: String?
            if byAttribute {
                guard case .string(let given)? = rest.first else {
                    throw TemplateError(.runtime, "\(name) needs an attribute name", at: position)
                }
                attributeName = given
                rest.removeFirst()
            }
            var testName: String?
            if case .string(let given)? = rest.first {
                testName = given
                rest.removeFirst()
            }
            var kept: [TemplateRuntimeValue] = []
            for item in try iterate(value, at: position) {
                let subject = try attributeName.map { (name: String) throws(TemplateError) in try attribute(name, of: item, at: position) } ?? item
                let passes = try testName.map { (test: String) throws(TemplateError) in try applyTest(test, to: subject, arguments: rest, at: position) } ?? subject.isTruthy
                if passes == keep { kept.append(item) }
            }
            return .list(kept)
        default:
            throw TemplateError(.unsupported, "unknown filter '\(name)'", at: position)
        }
    }
}
