import Foundation

/// Arithmetic and comparison with Python's rules (bools count as ints; `/` is true
/// division; `//` and `%` floor; `+` joins strings and lists but never mixes types).
extension TemplateRenderer {
    func binary(_ op: BinaryOperator, _ left: TemplateRuntimeValue, _ right: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) -> TemplateRuntimeValue {
        if op == .concatenate { return .string(left.pythonString + right.pythonString) }
        for operand in [left, right] {
            if case .undefined(let reason) = operand {
                throw TemplateError(.runtime, "\(reason) (operand of '\(op.rawValue)')", at: position)
            }
        }
        switch (op, left, right) {
        case (.add, .string(let a), .string(let b)): return .string(a + b)
        case (.add, .list(let a), .list(let b)): return .list(a + b)
        case (.multiply, .string(let a), .int(let n)), (.multiply, .int(let n), .string(let a)):
            return .string(String(repeating: a, count: max(n, 0)))
        case (.multiply, .list(let a), .int(let n)), (.multiply, .int(let n), .list(let a)):
            return .list(Array(repeating: a, count: max(n, 0)).flatMap { $0 })
        default: break
        }
        if let a = Self.integer(left), let b = Self.integer(right) {
            switch op {
            case .add: return .int(a &+ b)
            case .subtract: return .int(a &- b)
            case .multiply: return .int(a &* b)
            case .divide:
                guard b != 0 else { throw TemplateError(.runtime, "division by zero", at: position) }
                return .double(Double(a) / Double(b))
            case .floorDivide, .modulo:
                guard b != 0 else { throw TemplateError(.runtime, "integer division or modulo by zero", at: position) }
                var quotient = a / b
                if (a % b != 0) && ((a < 0) != (b < 0)) { quotient -= 1 }
                return op == .floorDivide ? .int(quotient) : .int(a - quotient * b)
            case .power:
                if b >= 0 {
                    var result = 1
                    for _ in 0..<b { result &*= a }
                    return .int(result)
                }
                return .double(Foundation.pow(Double(a), Double(b)))
            case .concatenate: break
            }
        }
        if let a = left.numericValue, let b = right.numericValue {
            switch op {
            case .add: return .double(a + b)
            case .subtract: return .double(a - b)
            case .multiply: return .double(a * b)
            case .divide:
                guard b != 0 else { throw TemplateError(.runtime, "float division by zero", at: position) }
                return .double(a / b)
            case .floorDivide:
                guard b != 0 else { throw TemplateError(.runtime, "float floor division by zero", at: position) }
                return .double((a / b).rounded(.down))
            case .modulo:
                guard b != 0 else { throw TemplateError(.runtime, "float modulo by zero", at: position) }
                return .double(a - b * (a / b).rounded(.down))
            case .power: return .double(Foundation.pow(a, b))
            case .concatenate: break
            }
        }
        if op == .modulo, case .string = left {
            throw TemplateError(.unsupported, "printf-style string formatting ('%') is not supported", at: position)
        }
        throw TemplateError(.runtime, "unsupported operand type(s) for \(op.rawValue): '\(left.typeName)' and '\(right.typeName)'", at: position)
    }

    private static func integer(_ value: TemplateRuntimeValue) -> Int? {
        switch value {
        case .int(let int): return int
        case .bool(let bool): return bool ? 1 : 0
        default: return nil
        }
    }

    func compare(_ op: ComparisonOperator, _ left: TemplateRuntimeValue, _ right: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) -> Bool {
        switch op {
        case .equal: return left.pythonEquals(right)
        case .notEqual: return !left.pythonEquals(right)
        case .contains: return try contains(right, left, at: position)
        case .notContains: return !(try contains(right, left, at: position))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: Int
            if let a = left.numericValue, let b = right.numericValue {
                order = a < b ? -1 : a > b ? 1 : 0
            } else if case .string(let a) = left, case .string(let b) = right {
                // Python orders strings by code point.
                let x = a.unicodeScalars.map(\.value), y = b.unicodeScalars.map(\.value)
                order = x.lexicographicallyPrecedes(y) ? -1 : x == y ? 0 : 1
            } else {
                throw TemplateError(.runtime, "'\(op.rawValue)' not supported between '\(left.typeName)' and '\(right.typeName)'", at: position)
            }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }

    /// Python's `element in container`.
    func contains(_ container: TemplateRuntimeValue, _ element: TemplateRuntimeValue, at position: SourcePosition) throws(TemplateError) -> Bool {
        switch container {
        case .string(let string):
            guard case .string(let needle) = element else {
                throw TemplateError(.runtime, "'in <string>' requires string as left operand, not \(element.typeName)", at: position)
            }
            return needle.isEmpty || string.unicodeScalars.firstRange(of: needle.unicodeScalars) != nil
        case .list(let items):
            return items.contains { $0.pythonEquals(element) }
        case .dictionary(let dictionary):
            guard case .string(let key) = element else { return false }
            return dictionary[key] != nil
        case .namespace(let id):
            guard case .string(let key) = element else { return false }
            return namespaces[id][key] != nil
        case .undefined(let reason):
            throw TemplateError(.runtime, "\(reason) (right operand of 'in')", at: position)
        default:
            throw TemplateError(.runtime, "argument of type '\(container.typeName)' is not iterable", at: position)
        }
    }
}
