/// Calls: the global functions chat templates use (`namespace`, `raise_exception`,
/// `range`, `dict`) and Python's string and dict methods.
extension TemplateRenderer {
    func call(_ callee: TemplateExpression, _ arguments: CallArguments, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        switch callee.form {
        case .name(let name) where lookup(name) == nil:
            return try callGlobal(name, try evaluateArguments(arguments), at: position)
        case .attribute(let base, let method):
            let object = try evaluate(base)
            if case .undefined(let reason) = object {
                throw TemplateError(.runtime, "\(reason) (calling method '\(method)')", at: position)
            }
            return try callMethod(method, on: object, try evaluateArguments(arguments), at: position)
        case .name(let name):
            throw TemplateError(.runtime, "'\(name)' is not callable", at: position)
        default:
            throw TemplateError(.unsupported, "calling this expression is not supported", at: position)
        }
    }

    private func callGlobal(_ name: String, _ arguments: EvaluatedArguments, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        switch name {
        case "namespace", "dict":
            var dictionary = TemplateDictionary()
            for value in arguments.positional {
                guard case .dictionary(let initial) = value else {
                    throw TemplateError(.runtime, "\(name)() positional argument must be a dict", at: position)
                }
                for key in initial.keys { dictionary[key] = initial[key] }
            }
            for key in arguments.keywordOrder { dictionary[key] = arguments.keywords[key] }
            if name == "dict" { return .dictionary(dictionary) }
            namespaces.append(dictionary)
            return .namespace(namespaces.count - 1)
        case "raise_exception":
            throw TemplateError(.raised, arguments.positional.first?.pythonString ?? "", at: position)
        case "range":
            let bounds = arguments.positional.compactMap { value -> Int? in
                if case .int(let int) = value { return int }
                return nil
            }
            guard bounds.count == arguments.positional.count, (1...3).contains(bounds.count) else {
                throw TemplateError(.runtime, "range() takes 1 to 3 integers", at: position)
            }
            let start = bounds.count == 1 ? 0 : bounds[0]
            let stop = bounds.count == 1 ? bounds[0] : bounds[1]
            let step = bounds.count == 3 ? bounds[2] : 1
            guard step != 0 else { throw TemplateError(.runtime, "range() step must not be zero", at: position) }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        default:
            throw TemplateError(.unsupported, "unknown function '\(name)'", at: position)
        }
    }

    private func callMethod(_ method: String, on object: TemplateRuntimeValue, _ arguments: EvaluatedArguments, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        let args = arguments.positional
        func stringArgument(_ index: Int) throws(TemplateError) -> String? {
            guard index < args.count else { return nil }
            switch args[index] {
            case .string(let string): return string
            case .none: return nil
            default: throw TemplateError(.runtime, "\(method)() argument \(index + 1) must be str, not \(args[index].typeName)", at: position)
            }
        }
        func integerArgument(_ index: Int) throws(TemplateError) -> Int? {
            guard index < args.count else { return nil }
            guard case .int(let int) = args[index] else {
                throw TemplateError(.runtime, "\(method)() argument \(index + 1) must be int, not \(args[index].typeName)", at: position)
            }
            return int
        }
        switch object {
        case .string(let string):
            switch method {
            case "strip": return .string(PythonString.strip(string, try stringArgument(0), leading: true, trailing: true))
            case "lstrip": return .string(PythonString.strip(string, try stringArgument(0), leading: true, trailing: false))
            case "rstrip": return .string(PythonString.strip(string, try stringArgument(0), leading: false, trailing: true))
            case "split":
                let separator = try stringArgument(0)
                if separator == "" { throw TemplateError(.runtime, "split() separator must not be empty", at: position) }
                return .list(PythonString.split(string, separator: separator, maxSplits: try integerArgument(1) ?? -1).map { .string($0) })
            case "startswith", "endswith":
                let candidates: [String]
                switch args.first {
                case .string(let prefix)?: candidates = [prefix]
                case .list(let items)?: candidates = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                default: throw TemplateError(.runtime, "\(method)() takes a string or a tuple of strings", at: position)
                }
                let scalars = Array(string.unicodeScalars)
                return .bool(candidates.contains { candidate in
                    let affix = Array(candidate.unicodeScalars)
                    return method == "startswith" ? scalars.starts(with: affix) : scalars.reversed().starts(with: affix.reversed())
                })
            case "upper": return .string(string.uppercased())
            case "lower": return .string(string.lowercased())
            case "title": return .string(PythonString.title(string))
            case "capitalize": return .string(PythonString.capitalize(string))
            case "replace":
                guard let old = try stringArgument(0), let new = try stringArgument(1) else {
                    throw TemplateError(.runtime, "replace() takes two strings", at: position)
                }
                return .string(PythonString.replace(string, old, new, count: try integerArgument(2) ?? -1))
            case "find":
                guard let needle = try stringArgument(0) else { throw TemplateError(.runtime, "find() takes a string", at: position) }
                let scalars = Array(string.unicodeScalars)
                guard let range = scalars.firstRange(of: Array(needle.unicodeScalars)) else { return .int(-1) }
                return .int(range.lowerBound)
            case "join":
                guard let items = args.first else { throw TemplateError(.runtime, "join() takes an iterable", at: position) }
                return .string(try iterate(items, at: position).map(\.pythonString).joined(separator: string))
            default: break
            }
        case .dictionary(let dictionary):
            switch method {
            case "items": return .list(dictionary.keys.map { .list([.string($0), dictionary[$0]!]) })
            case "keys": return .list(dictionary.keys.map { .string($0) })
            case "values": return .list(dictionary.values)
            case "get":
                guard let key = try stringArgument(0) else { throw TemplateError(.runtime, "get() takes a string key", at: position) }
                return dictionary[key] ?? (args.count > 1 ? args[1] : .none)
            default: break
            }
        default: break
        }
        throw TemplateError(.unsupported, "unknown method '\(method)' on \(object.typeName)", at: position)
    }
}

/// Python `str` methods whose rules differ from Swift's.
enum PythonString {
    static func strip(_ string: String, _ characters: String?, leading: Bool, trailing: Bool) -> String {
        let set = characters.map { Set($0.unicodeScalars) }
        func removable(_ scalar: Unicode.Scalar) -> Bool {
            if let set { return set.contains(scalar) }
            return scalar.properties.isWhitespace
        }
        var scalars = Substring(string).unicodeScalars[...]
        if leading { scalars = scalars.drop(while: removable) }
        if trailing {
            while let last = scalars.last, removable(last) { scalars = scalars.dropLast() }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// `str.split(sep, maxsplit)`; with no separator, runs of whitespace split and
    /// empty pieces are dropped.
    static func split(_ string: String, separator: String?, maxSplits: Int) -> [String] {
        let scalars = Array(string.unicodeScalars)
        func text(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
        var pieces: [String] = []
        guard let separator else {
            var index = 0
            while index < scalars.count {
                while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
                guard index < scalars.count else { break }
                if maxSplits >= 0, pieces.count == maxSplits {
                    var end = scalars.count
                    while end > index, scalars[end - 1].properties.isWhitespace { end -= 1 }
                    pieces.append(text(index..<end))
                    break
                }
                let start = index
                while index < scalars.count, !scalars[index].properties.isWhitespace { index += 1 }
                pieces.append(text(start..<index))
            }
            return pieces
        }
        let needle = Array(separator.unicodeScalars)
        var start = 0
        var index = 0
        while index + needle.count <= scalars.count, maxSplits < 0 || pieces.count < maxSplits {
            if scalars[index..<(index + needle.count)].elementsEqual(needle) {
                pieces.append(text(start..<index))
                index += needle.count
                start = index
            } else {
                index += 1
            }
        }
        pieces.append(text(start..<scalars.count))
        return pieces
    }

    static func replace(_ string: String, _ old: String, _ new: String, count: Int) -> String {
        if old.isEmpty { return string }
        let pieces = split(string, separator: old, maxSplits: count)
        return pieces.joined(separator: new)
    }

    static func capitalize(_ string: String) -> String {
        guard let first = string.first else { return string }
        return first.uppercased() + string.dropFirst().lowercased()
    }

    /// Words (runs of letters) start upper-case, the rest lower-case.
    static func title(_ string: String) -> String {
        var result = ""
        var previousIsLetter = false
        for character in string {
            result += previousIsLetter ? character.lowercased() : character.uppercased()
            previousIsLetter = character.isLetter
        }
        return result
    }
}
