/// Recursive-descent parser from tokens to template nodes, with Jinja's operator
/// precedence (lowest first): `x if c else y`, `or`, `and`, `not`, comparisons and
/// `in`, `+ -`, `~`, `* / // %`, `**`, unary `-`, then filters `|` and tests `is`,
/// then attribute, subscript and call postfixes.
struct TemplateParser {
    private let tokens: [TemplateToken]
    private var index = 0

    /// Statements that are Jinja but not implemented here, named in the error.
    private static let unsupportedStatements: Set<String> = [
        "macro", "call", "filter", "include", "import", "from", "extends", "block", "with", "autoescape", "do",
    ]

    static func parse(_ tokens: [TemplateToken]) throws(TemplateError) -> [TemplateNode] {
        var parser = TemplateParser(tokens: tokens)
        let (nodes, end) = try parser.parseNodes(until: [])
        if let end {
            throw TemplateError(.syntax, "unexpected {% \(end.name) %}", at: end.position)
        }
        return nodes
    }

    private init(tokens: [TemplateToken]) { self.tokens = tokens }

    private var current: TemplateToken { tokens[index] }

    private mutating func next() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }
    private func isName(_ name: String) -> Bool { current.kind == .name(name) }

    private mutating func expectSymbol(_ symbol: String) throws(TemplateError) {
        guard isSymbol(symbol) else { throw TemplateError(.syntax, "expected '\(symbol)', found \(describe(current))", at: current.position) }
        _ = next()
    }

    private mutating func expectName() throws(TemplateError) -> String {
        guard case .name(let name) = current.kind else {
            throw TemplateError(.syntax, "expected a name, found \(describe(current))", at: current.position)
        }
        _ = next()
        return name
    }

    private mutating func expectName(_ keyword: String) throws(TemplateError) {
        guard isName(keyword) else {
            throw TemplateError(.syntax, "expected '\(keyword)', found \(describe(current))", at: current.position)
        }
        _ = next()
    }

    private mutating func expectBlockEnd() throws(TemplateError) {
        guard current.kind == .blockEnd else {
            throw TemplateError(.syntax, "expected %}, found \(describe(current))", at: current.position)
        }
        _ = next()
    }

    private func describe(_ token: TemplateToken) -> String {
        switch token.kind {
        case .text: return "text"
        case .variableBegin: return "{{"
        case .variableEnd: return "}}"
        case .blockBegin: return "{%"
        case .blockEnd: return "%}"
        case .name(let name): return "'\(name)'"
        case .string(let string): return "string '\(string)'"
        case .integer(let value): return "\(value)"
        case .float(let value): return "\(value)"
        case .symbol(let symbol): return "'\(symbol)'"
        case .endOfInput: return "end of template"
        }
    }

    // MARK: Statements

    /// Parses nodes until a block whose keyword is in `terminators`; returns that keyword
    /// (its tag's `{%` and name consumed, not the rest) or nil at end of input.
    private mutating func parseNodes(until terminators: Set<String>) throws(TemplateError) -> ([TemplateNode], (name: String, position: SourcePosition)?) {
        var nodes: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .endOfInput:
                return (nodes, nil)
            case .text(let text):
                _ = next()
                nodes.append(.text(text))
            case .variableBegin:
                _ = next()
                let expression = try parseExpression()
                guard current.kind == .variableEnd else {
                    throw TemplateError(.syntax, "expected }}, found \(describe(current))", at: current.position)
                }
                _ = next()
                nodes.append(.output(expression))
            case .blockBegin:
                _ = next()
                let keywordPosition = current.position
                let keyword = try expectName()
                if terminators.contains(keyword) { return (nodes, (keyword, keywordPosition)) }
                if let node = try parseStatement(keyword, at: keywordPosition) { nodes.append(contentsOf: node) }
            default:
                throw TemplateError(.syntax, "unexpected \(describe(token))", at: token.position)
            }
        }
    }

    private mutating func parseStatement(_ keyword: String, at position: SourcePosition) throws(TemplateError) -> [TemplateNode]? {
        switch keyword {
        case "if": return [try parseIf()]
        case "for": return [try parseFor(at: position)]
        case "set": return [try parseSet(at: position)]
        case "break":
            try expectBlockEnd()
            return [.breakLoop(position)]
        case "continue":
            try expectBlockEnd()
            return [.continueLoop(position)]
        case "generation":
            // Hugging Face's AssistantTracker marks assistant text; rendering is unchanged.
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"], opener: "generation", at: position)
            try expectBlockEnd()
            return body
        case "elif", "else", "endif", "endfor", "endset", "endraw", "endgeneration":
            throw TemplateError(.syntax, "unexpected {% \(keyword) %}", at: position)
        default:
            if Self.unsupportedStatements.contains(keyword) {
                throw TemplateError(.unsupported, "{% \(keyword) %} is not supported", at: position)
            }
            throw TemplateError(.unsupported, "unknown statement {% \(keyword) %}", at: position)
        }
    }

    /// A body closed by one of `terminators`; returns it and which terminator closed it.
    private mutating func parseBody(until terminators: Set<String>, opener: String, at position: SourcePosition) throws(TemplateError) -> ([TemplateNode], String) {
        let (body, end) = try parseNodes(until: terminators)
        guard let end else {
            throw TemplateError(.syntax, "{% \(opener) %} is not closed (expected \(terminators.sorted().joined(separator: " or ")))", at: position)
        }
        return (body, end.name)
    }

    private mutating func parseIf() throws(TemplateError) -> TemplateNode {
        let position = current.position
        var branches: [(condition: TemplateExpression, body: [TemplateNode])] = []
        var condition = try parseExpression()
        try expectBlockEnd()
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"], opener: "if", at: position)
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseExpression()
                try expectBlockEnd()
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"], opener: "if", at: position)
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(at position: SourcePosition) throws(TemplateError) -> TemplateNode {
        var targets = [try expectName()]
        while isSymbol(",") {
            _ = next()
            targets.append(try expectName())
        }
        try expectName("in")
        let iterable = try parseOr()
        var filter: TemplateExpression?
        if isName("if") {
            _ = next()
            filter = try parseOr()
        }
        if isName("recursive") {
            throw TemplateError(.unsupported, "recursive for loops are not supported", at: current.position)
        }
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["else", "endfor"], opener: "for", at: position)
        var otherwise: [TemplateNode] = []
        try expectBlockEnd()
        if end == "else" {
            (otherwise, _) = try parseBody(until: ["endfor"], opener: "for", at: position)
            try expectBlockEnd()
        }
        return .forLoop(.init(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, position: position))
    }

    private mutating func parseSet(at position: SourcePosition) throws(TemplateError) -> TemplateNode {
        let first = try expectName()
        if isSymbol(".") {
            _ = next()
            let attribute = try expectName()
            try expectSymbol("=")
            let value = try parseExpression()
            try expectBlockEnd()
            return .assignment(target: .attribute(object: first, attribute: attribute), value: value, position: position)
        }
        var names = [first]
        while isSymbol(",") {
            _ = next()
            names.append(try expectName())
        }
        if current.kind == .blockEnd, names.count == 1 {
            _ = next()
            let (body, _) = try parseBody(until: ["endset"], opener: "set", at: position)
            try expectBlockEnd()
            return .blockAssignment(name: first, body: body)
        }
        try expectSymbol("=")
        let value = try parseExpression()
        try expectBlockEnd()
        return .assignment(target: .names(names), value: value, position: position)
    }

    // MARK: Expressions

    /// A full expression; a bare comma list `a, b` is a tuple (as in `set a, b = ...`).
    mutating func parseExpression() throws(TemplateError) -> TemplateExpression {
        let first = try parseConditional()
        guard isSymbol(",") else { return first }
        var items = [first]
        while isSymbol(",") {
            _ = next()
            items.append(try parseConditional())
        }
        return TemplateExpression(form: .list(items), position: first.position)
    }

    private mutating func parseConditional() throws(TemplateError) -> TemplateExpression {
        let value = try parseOr()
        guard isName("if") else { return value }
        _ = next()
        let condition = try parseOr()
        var otherwise: TemplateExpression?
        if isName("else") {
            _ = next()
            otherwise = try parseConditional()
        }
        return TemplateExpression(form: .ifElse(then: value, condition: condition, otherwise: otherwise), position: value.position)
    }

    private mutating func parseOr() throws(TemplateError) -> TemplateExpression {
        var left = try parseAnd()
        while isName("or") {
            _ = next()
            left = TemplateExpression(form: .or(left, try parseAnd()), position: left.position)
        }
        return left
    }

    private mutating func parseAnd() throws(TemplateError) -> TemplateExpression {
        var left = try parseNot()
        while isName("and") {
            _ = next()
            left = TemplateExpression(form: .and(left, try parseNot()), position: left.position)
        }
        return left
    }

    private mutating func parseNot() throws(TemplateError) -> TemplateExpression {
        if isName("not") {
            let position = next().position
            return TemplateExpression(form: .not(try parseNot()), position: position)
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(TemplateError) -> TemplateExpression {
        let left = try parseAdditive()
        var rest: [(ComparisonOperator, TemplateExpression)] = []
        while true {
            let op: ComparisonOperator
            if case .symbol(let symbol) = current.kind, let comparison = ComparisonOperator(rawValue: symbol) {
                op = comparison
                _ = next()
            } else if isName("in") {
                op = .contains
                _ = next()
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                op = .notContains
                _ = next()
                _ = next()
            } else {
                break
            }
            rest.append((op, try parseAdditive()))
        }
        return rest.isEmpty ? left : TemplateExpression(form: .comparison(left, rest), position: left.position)
    }

    private mutating func parseBinary(
        _ operators: [String], operand: (inout TemplateParser) throws(TemplateError) -> TemplateExpression
    ) throws(TemplateError) -> TemplateExpression {
        var left = try operand(&self)
        while case .symbol(let symbol) = current.kind, operators.contains(symbol), let op = BinaryOperator(rawValue: symbol) {
            _ = next()
            let right = try operand(&self)
            left = TemplateExpression(form: .binary(op, left, right), position: left.position)
        }
        return left
    }

    private mutating func parseAdditive() throws(TemplateError) -> TemplateExpression {
        try parseBinary(["+", "-"]) { (parser: inout TemplateParser) throws(TemplateError) in try parser.parseConcatenation() }
    }

    private mutating func parseConcatenation() throws(TemplateError) -> TemplateExpression {
        try parseBinary(["~"]) { (parser: inout TemplateParser) throws(TemplateError) in try parser.parseMultiplicative() }
    }

    private mutating func parseMultiplicative() throws(TemplateError) -> TemplateExpression {
        try parseBinary(["*", "/", "//", "%"]) { (parser: inout TemplateParser) throws(TemplateError) in try parser.parsePower() }
    }

    private mutating func parsePower() throws(TemplateError) -> TemplateExpression {
        try parseBinary(["**"]) { (parser: inout TemplateParser) throws(TemplateError) in try parser.parseUnary() }
    }

    private mutating func parseUnary() throws(TemplateError) -> TemplateExpression {
        if isSymbol("-") {
            let position = next().position
            return TemplateExpression(form: .negate(try parseUnary()), position: position)
        }
        if isSymbol("+") {
            _ = next()
            return try parseUnary()
        }
        let primary = try parsePostfix(try parsePrimary())
        return try parseFiltersAndTests(primary)
    }

    private mutating func parseFiltersAndTests(_ base: TemplateExpression) throws(TemplateError) -> TemplateExpression {
        var expression = base
        while true {
            if isSymbol("|") {
                let position = next().position
                let nameToken = current
                let name = try expectName()
                guard TemplateRenderer.knownFilters.contains(name) else {
                    throw TemplateError(.unsupported, "unknown filter '\(name)'", at: nameToken.position)
                }
                var arguments = CallArguments()
                if isSymbol("(") { arguments = try parseCallArguments() }
                expression = TemplateExpression(form: .filter(expression, name: name, arguments: arguments), position: position)
            } else if isName("is") {
                let position = next().position
                var negated = false
                if isName("not") {
                    _ = next()
                    negated = true
                }
                let nameToken = current
                let name = try expectName()
                guard TemplateRenderer.knownTests.contains(name) else {
                    throw TemplateError(.unsupported, "unknown test '\(name)'", at: nameToken.position)
                }
                var arguments = CallArguments()
                if isSymbol("(") {
                    arguments = try parseCallArguments()
                } else if startsBareTestArgument() {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                expression = TemplateExpression(form: .test(expression, name: name, negated: negated, arguments: arguments), position: position)
            } else {
                return expression
            }
        }
    }

    /// `x is sameas none`, `x is divisibleby 3`: one argument without parentheses.
    private func startsBareTestArgument() -> Bool {
        switch current.kind {
        case .string, .integer, .float: return true
        case .name(let name): return !["else", "or", "and", "if", "in", "is", "not"].contains(name)
        default: return false
        }
    }

    private mutating func parsePostfix(_ base: TemplateExpression) throws(TemplateError) -> TemplateExpression {
        var expression = base
        while true {
            if isSymbol(".") {
                let position = next().position
                if case .integer(let value) = current.kind {
                    _ = next()
                    let index = TemplateExpression(form: .literal(.int(value)), position: position)
                    expression = TemplateExpression(form: .item(expression, index), position: position)
                } else {
                    expression = TemplateExpression(form: .attribute(expression, try expectName()), position: position)
                }
            } else if isSymbol("[") {
                let position = next().position
                expression = try parseSubscript(of: expression, at: position)
            } else if isSymbol("(") {
                // Errors of a call point at what is called (the function name, or the '.' of a method).
                expression = TemplateExpression(form: .call(expression, arguments: try parseCallArguments()), position: expression.position)
            } else {
                return expression
            }
        }
    }

    private mutating func parseSubscript(of base: TemplateExpression, at position: SourcePosition) throws(TemplateError) -> TemplateExpression {
        var parts: [TemplateExpression?] = [nil]
        var sawColon = false
        while !isSymbol("]") {
            if isSymbol(":") {
                _ = next()
                sawColon = true
                parts.append(nil)
                guard parts.count <= 3 else { throw TemplateError(.syntax, "too many ':' in slice", at: position) }
            } else {
                guard parts[parts.count - 1] == nil else {
                    throw TemplateError(.syntax, "expected ']' or ':', found \(describe(current))", at: current.position)
                }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        _ = next()
        if !sawColon {
            guard let key = parts[0] else { throw TemplateError(.syntax, "empty subscript", at: position) }
            return TemplateExpression(form: .item(base, key), position: position)
        }
        while parts.count < 3 { parts.append(nil) }
        return TemplateExpression(form: .slice(base, start: parts[0], stop: parts[1], step: parts[2]), position: position)
    }

    private mutating func parseCallArguments() throws(TemplateError) -> CallArguments {
        try expectSymbol("(")
        var arguments = CallArguments()
        while !isSymbol(")") {
            if case .name(let name) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .symbol("=") {
                _ = next()
                _ = next()
                arguments.keywords.append((name, try parseConditional()))
            } else {
                guard arguments.keywords.isEmpty else {
                    throw TemplateError(.syntax, "positional argument after keyword argument", at: current.position)
                }
                arguments.positional.append(try parseConditional())
            }
            if isSymbol(",") { _ = next() } else if !isSymbol(")") {
                throw TemplateError(.syntax, "expected ',' or ')', found \(describe(current))", at: current.position)
            }
        }
        _ = next()
        return arguments
    }

    private mutating func parsePrimary() throws(TemplateError) -> TemplateExpression {
        let token = next()
        let position = token.position
        switch token.kind {
        case .name(let name):
            switch name {
            case "true", "True": return TemplateExpression(form: .literal(.bool(true)), position: position)
            case "false", "False": return TemplateExpression(form: .literal(.bool(false)), position: position)
            case "none", "None": return TemplateExpression(form: .literal(.none), position: position)
            default: return TemplateExpression(form: .name(name), position: position)
            }
        case .string(var string):
            while case .string(let more) = current.kind {
                string += more
                _ = next()
            }
            return TemplateExpression(form: .literal(.string(string)), position: position)
        case .integer(let value):
            return TemplateExpression(form: .literal(.int(value)), position: position)
        case .float(let value):
            return TemplateExpression(form: .literal(.double(value)), position: position)
        case .symbol("("):
            if isSymbol(")") {
                _ = next()
                return TemplateExpression(form: .list([]), position: position)
            }
            let inner = try parseExpression()
            try expectSymbol(")")
            return inner
        case .symbol("["):
            var items: [TemplateExpression] = []
            while !isSymbol("]") {
                items.append(try parseConditional())
                if isSymbol(",") { _ = next() } else if !isSymbol("]") {
                    throw TemplateError(.syntax, "expected ',' or ']', found \(describe(current))", at: current.position)
                }
            }
            _ = next()
            return TemplateExpression(form: .list(items), position: position)
        case .symbol("{"):
            var entries: [(key: TemplateExpression, value: TemplateExpression)] = []
            while !isSymbol("}") {
                let key = try parseConditional()
                try expectSymbol(":")
                entries.append((key, try parseConditional()))
                if isSymbol(",") { _ = next() } else if !isSymbol("}") {
                    throw TemplateError(.syntax, "expected ',' or '}', found \(describe(current))", at: current.position)
                }
            }
            _ = next()
            return TemplateExpression(form: .dictionary(entries), position: position)
        default:
            throw TemplateError(.syntax, "expected an expression, found \(describe(token))", at: position)
        }
    }
}
