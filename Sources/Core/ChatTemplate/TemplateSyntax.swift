/// The parsed form of a template: statements (nodes) and expressions.
indirect enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpression)
    case conditional(branches: [(condition: TemplateExpression, body: [TemplateNode])], otherwise: [TemplateNode])
    case forLoop(ForLoop)
    case assignment(target: AssignmentTarget, value: TemplateExpression, position: SourcePosition)
    case blockAssignment(name: String, body: [TemplateNode])
    case breakLoop(SourcePosition)
    case continueLoop(SourcePosition)

    struct ForLoop: Sendable {
        let targets: [String]
        let iterable: TemplateExpression
        let filter: TemplateExpression?
        let body: [TemplateNode]
        let otherwise: [TemplateNode]
        let position: SourcePosition
    }

    enum AssignmentTarget: Sendable {
        case names([String])
        /// `ns.attribute = ...` on a namespace.
        case attribute(object: String, attribute: String)
    }
}

struct TemplateExpression: Sendable {
    indirect enum Form: Sendable {
        case literal(TemplateRuntimeValue)
        case name(String)
        case list([TemplateExpression])
        case dictionary([(key: TemplateExpression, value: TemplateExpression)])
        case attribute(TemplateExpression, String)
        case item(TemplateExpression, TemplateExpression)
        case slice(TemplateExpression, start: TemplateExpression?, stop: TemplateExpression?, step: TemplateExpression?)
        case call(TemplateExpression, arguments: CallArguments)
        case filter(TemplateExpression, name: String, arguments: CallArguments)
        case test(TemplateExpression, name: String, negated: Bool, arguments: CallArguments)
        case not(TemplateExpression)
        case negate(TemplateExpression)
        case binary(BinaryOperator, TemplateExpression, TemplateExpression)
        /// Chained comparisons `a < b < c` mean `a < b and b < c`, as in Python.
        case comparison(TemplateExpression, [(ComparisonOperator, TemplateExpression)])
        case and(TemplateExpression, TemplateExpression)
        case or(TemplateExpression, TemplateExpression)
        case ifElse(then: TemplateExpression, condition: TemplateExpression, otherwise: TemplateExpression?)
    }

    let form: Form
    let position: SourcePosition
}

struct CallArguments: Sendable {
    var positional: [TemplateExpression] = []
    var keywords: [(name: String, value: TemplateExpression)] = []
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case concatenate = "~"
}

enum ComparisonOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}
