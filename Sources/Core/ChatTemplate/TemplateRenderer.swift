/// Renders parsed template nodes: one renderer per `render` call, holding the variable
/// scopes (a `for` body gets its own, as in Jinja, so `set` inside a loop does not leak
/// out; namespaces exist for exactly that) and the namespace store.
final class TemplateRenderer {
    private var scopes: [[String: TemplateRuntimeValue]]
    var namespaces: [TemplateDictionary] = []
    private var loopDepth = 0

    init(globals: [String: TemplateRuntimeValue]) {
        scopes = [globals]
    }

    private enum Flow { case normal, breakLoop, continueLoop }

    func render(_ nodes: [TemplateNode]) throws(TemplateError) -> String {
        var output = ""
        _ = try execute(nodes, into: &output)
        return output
    }

    func lookup(_ name: String) -> TemplateRuntimeValue? {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return nil
    }

    private func assign(_ name: String, _ value: TemplateRuntimeValue) {
        scopes[scopes.count - 1][name] = value
    }

    // MARK: Statements

    private func execute(_ nodes: [TemplateNode], into output: inout String) throws(TemplateError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expression):
                output += try evaluate(expression).pythonString
            case .conditional(let branches, let otherwise):
                var body = otherwise
                for branch in branches where try evaluate(branch.condition).isTruthy {
                    body = branch.body
                    break
                }
                let flow = try execute(body, into: &output)
                if flow != .normal { return flow }
            case .forLoop(let loop):
                try executeLoop(loop, into: &output)
            case .assignment(let target, let valueExpression, let position):
                let value = try evaluate(valueExpression)
                try assign(value, to: target, at: position)
            case .blockAssignment(let name, let body):
                var captured = ""
                let flow = try execute(body, into: &captured)
                assign(name, .string(captured))
                if flow != .normal { return flow }
            case .breakLoop(let position):
                guard loopDepth > 0 else { throw TemplateError(.syntax, "{% break %} outside a loop", at: position) }
                return .breakLoop
            case .continueLoop(let position):
                guard loopDepth > 0 else { throw TemplateError(.syntax, "{% continue %} outside a loop", at: position) }
                return .continueLoop
            }
        }
        return .normal
    }

    private func assign(_ value: TemplateRuntimeValue, to target: TemplateNode.AssignmentTarget, at position: SourcePosition) throws(TemplateError) {
        switch target {
        case .names(let names) where names.count == 1:
            assign(names[0], value)
        case .names(let names):
            let items = try unpack(value, into: names.count, at: position)
            for (name, item) in zip(names, items) { assign(name, item) }
        case .attribute(let object, let attribute):
            guard case .namespace(let id) = lookup(object) else {
                throw TemplateError(.runtime, "cannot set attribute '\(attribute)' on '\(object)': it is not a namespace()", at: position)
            }
            namespaces[id][attribute] = value
        }
    }

    private func unpack(_ value: TemplateRuntimeValue, into count: Int, at position: SourcePosition) throws(TemplateError) -> [TemplateRuntimeValue] {
        guard case .list(let items) = value, items.count == count else {
            throw TemplateError(.runtime, "cannot unpack \(value.typeName) into \(count) names", at: position)
        }
        return items
    }

    private func executeLoop(_ loop: TemplateNode.ForLoop, into output: inout String) throws(TemplateError) {
        var items = try iterate(try evaluate(loop.iterable), at: loop.iterable.position)
        scopes.append([:])
        defer { scopes.removeLast() }
        if let filter = loop.filter {
            var kept: [TemplateRuntimeValue] = []
            for item in items {
                try bindTargets(loop.targets, to: item, at: loop.position)
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try execute(loop.otherwise, into: &output)
            return
        }
        loopDepth += 1
        defer { loopDepth -= 1 }
        for (index, item) in items.enumerated() {
            scopes[scopes.count - 1] = [:]
            try bindTargets(loop.targets, to: item, at: loop.position)
            var info = TemplateDictionary()
            info["index"] = .int(index + 1)
            info["index0"] = .int(index)
            info["revindex"] = .int(items.count - index)
            info["revindex0"] = .int(items.count - index - 1)
            info["first"] = .bool(index == 0)
            info["last"] = .bool(index == items.count - 1)
            info["length"] = .int(items.count)
            info["previtem"] = index > 0 ? items[index - 1] : .undefined("there is no previous item")
            info["nextitem"] = index + 1 < items.count ? items[index + 1] : .undefined("there is no next item")
            assign("loop", .dictionary(info))
            if try execute(loop.body, into: &output) == .breakLoop { break }
        }
    }

    private func bindTargets(_ targets: [String], to item: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) {
        if targets.count == 1 {
            assign(targets[0], item)
        } else {
            for (name, value) in zip(targets, try unpack(item, into: targets.count, at: position)) { assign(name, value) }
        }
    }

    /// What `for x in value` walks: list items, dict keys, string characters; nothing
    /// for undefined (as Jinja's Undefined iterates empty).
    func iterate(_ value: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) -> [TemplateRuntimeValue] {
        switch value {
        case .undefined: return []
        case .list(let items): return items
        case .dictionary(let dictionary): return dictionary.keys.map { .string($0) }
        case .string(let string): return string.unicodeScalars.map { .string(String($0)) }
        default: throw TemplateError(.runtime, "'\(value.typeName)' object is not iterable", at: position)
        }
    }

    // MARK: Expressions

    func evaluate(_ expression: TemplateExpression) throws(TemplateError) -> TemplateRuntimeValue {
        let position = expression.position
        switch expression.form {
        case .literal(let value):
            return value
        case .name(let name):
            return lookup(name) ?? .undefined("'\(name)' is undefined")
        case .list(let items):
            var values: [TemplateRuntimeValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .list(values)
        case .dictionary(let entries):
            var dictionary = TemplateDictionary()
            for entry in entries {
                guard case .string(let key) = try evaluate(entry.key) else {
                    throw TemplateError(.unsupported, "dict keys other than strings are not supported", at: entry.key.position)
                }
                dictionary[key] = try evaluate(entry.value)
            }
            return .dictionary(dictionary)
        case .attribute(let base, let name):
            return try attribute(name, of: try evaluate(base), at: position)
        case .item(let base, let key):
            return try item(try evaluate(key), of: try evaluate(base), at: position)
        case .slice(let base, let start, let stop, let step):
            return try slice(try evaluate(base), start: start.map(evaluate), stop: stop.map(evaluate), step: step.map(evaluate), at: position)
        case .call(let callee, let arguments):
            return try call(callee, arguments, at: position)
        case .filter(let base, let name, let arguments):
            return try applyFilter(name, to: try evaluate(base), arguments: try evaluateArguments(arguments), at: position)
        case .test(let base, let name, let negated, let arguments):
            let result = try applyTest(name, to: try evaluate(base), arguments: try evaluateArguments(arguments).positional, at: position)
            return .bool(result != negated)
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .negate(let operand):
            return try binary(.subtract, .int(0), try evaluate(operand), at: position)
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left), try evaluate(right), at: position)
        case .comparison(let first, let rest):
            var left = try evaluate(first)
            for (op, rightExpression) in rest {
                let right = try evaluate(rightExpression)
                guard try compare(op, left, right, at: rightExpression.position) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case .ifElse(let then, let condition, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("the conditional expression has no else")
        }
    }

    struct EvaluatedArguments {
        var positional: [TemplateRuntimeValue] = []
        var keywords: [String: TemplateRuntimeValue] = [:]
        var keywordOrder: [String] = []
    }

    func evaluateArguments(_ arguments: CallArguments) throws(TemplateError) -> EvaluatedArguments {
        var result = EvaluatedArguments()
        for expression in arguments.positional { result.positional.append(try evaluate(expression)) }
        for keyword in arguments.keywords {
            result.keywords[keyword.name] = try evaluate(keyword.value)
            result.keywordOrder.append(keyword.name)
        }
        return result
    }

    func attribute(_ name: String, of value: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        switch value {
        case .undefined(let reason):
            throw TemplateError(.runtime, "\(reason) (reading attribute '\(name)')", at: position)
        case .dictionary(let dictionary):
            return dictionary[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let id):
            return namespaces[id][name] ?? .undefined("namespace has no attribute '\(name)'")
        default:
            return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    private func item(_ key: TemplateRuntimeValue, of value: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        switch (value, key) {
        case (.undefined(let reason), _):
            throw TemplateError(.runtime, "\(reason) (reading item \(key.pythonRepresentation))", at: position)
        case (.dictionary, .string(let name)), (.namespace, .string(let name)):
            return try attribute(name, of: value, at: position)
        case (.list(let items), .int(let index)):
            let resolved = index < 0 ? items.count + index : index
            return items.indices.contains(resolved) ? items[resolved] : .undefined("list index \(index) out of range")
        case (.string(let string), .int(let index)):
            let scalars = Array(string.unicodeScalars)
            let resolved = index < 0 ? scalars.count + index : index
            return scalars.indices.contains(resolved) ? .string(String(scalars[resolved])) : .undefined("string index \(index) out of range")
        default:
            return .undefined("'\(value.typeName) object' has no item \(key.pythonRepresentation)")
        }
    }

    private func slice(
        _ value: TemplateRuntimeValue, start: TemplateRuntimeValue?, stop: TemplateRuntimeValue?, step: TemplateRuntimeValue?,
        at position: SourcePosition
    ) throws(TemplateError) -> TemplateRuntimeValue {
        func bound(_ bound: TemplateRuntimeValue?) throws(TemplateError) -> Int? {
            switch bound {
            case nil, .none?: return nil
            case .int(let int)?: return int
            default: throw TemplateError(.runtime, "slice indices must be integers", at: position)
            }
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw TemplateError(.runtime, "slice step cannot be zero", at: position) }
        func indices(count: Int) throws(TemplateError) -> [Int] {
            func clamp(_ index: Int?, _ defaultValue: Int) -> Int {
                guard var index else { return defaultValue }
                if index < 0 { index += count }
                return stepValue > 0 ? min(max(index, 0), count) : min(max(index, -1), count - 1)
            }
            let from = clamp(try bound(start), stepValue > 0 ? 0 : count - 1)
            let to = clamp(try bound(stop), stepValue > 0 ? count : -1)
            return Array(stride(from: from, to: to, by: stepValue))
        }
        switch value {
        case .list(let items):
            return .list(try indices(count: items.count).map { items[$0] })
        case .string(let string):
            let scalars = Array(string.unicodeScalars)
            var view = String.UnicodeScalarView()
            for index in try indices(count: scalars.count) { view.append(scalars[index]) }
            return .string(String(view))
        default:
            throw TemplateError(.runtime, "'\(value.typeName)' object cannot be sliced", at: position)
        }
    }
}
