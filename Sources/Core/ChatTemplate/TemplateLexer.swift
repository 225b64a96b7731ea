/// One token of a template: literal text, a tag delimiter, or a piece of an expression.
struct TemplateToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd
        case blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case symbol(String)
        case endOfInput
    }

    let kind: Kind
    let position: SourcePosition
}

/// Splits template source into tokens with the whitespace handling Hugging Face uses
/// for chat templates: `trim_blocks` (drop the newline after a block or comment tag),
/// `lstrip_blocks` (drop spaces and tabs before a block or comment tag that starts a
/// line), `-` on a tag strips all whitespace on that side, `+` turns the trimming off,
/// and one trailing newline of the source is dropped (`keep_trailing_newline=False`).
struct TemplateLexer {
    private let source: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    private var tokens: [TemplateToken] = []

    init(source: String) {
        var scalars = Array(source.unicodeScalars)
        if scalars.last == "\n" {
            scalars.removeLast()
            if scalars.last == "\r" { scalars.removeLast() }
        }
        self.source = scalars
    }

    static func tokenize(_ source: String) throws(TemplateError) -> [TemplateToken] {
        var lexer = TemplateLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < source.count ? source[index + offset] : nil
    }

    private func starts(with text: String, at offset: Int = 0) -> Bool {
        var k = index + offset
        for scalar in text.unicodeScalars {
            guard k < source.count, source[k] == scalar else { return false }
            k += 1
        }
        return true
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < source.count {
            if source[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
    }

    private enum TagKind { case variable, block, comment }

    private mutating func run() throws(TemplateError) {
        var stripNextTextStart = false
        var lineStarting = true
        while index < source.count || stripNextTextStart {
            let textPosition = position
            var text = String.UnicodeScalarView()
            var tag: TagKind?
            while index < source.count {
                if peek() == "{", let next = peek(1) {
                    if next == "{" { tag = .variable; break }
                    if next == "%" { tag = .block; break }
                    if next == "#" { tag = .comment; break }
                }
                text.append(source[index])
                advance()
            }
            var content = String(text)
            if stripNextTextStart {
                content = String(content.drop { $0.isWhitespace })
                stripNextTextStart = false
            }
            if let tag {
                let modifier = peek(2)
                if modifier == "-" {
                    content = String(content.reversed().drop { $0.isWhitespace }.reversed())
                } else if tag != .variable, modifier != "+" {
                    content = Self.lstripLastLine(content, lineStarting: lineStarting)
                }
            }
            if !content.isEmpty { tokens.append(TemplateToken(kind: .text(content), position: textPosition)) }
            guard let tag else { break }
            let tagPosition = position
            let hasModifier = peek(2) == "-" || peek(2) == "+"
            advance(hasModifier ? 3 : 2)
            let endResult: (stripAfter: Bool, trimmedNewline: Bool)
            switch tag {
            case .comment:
                endResult = try skipComment(openedAt: tagPosition)
            case .variable:
                tokens.append(TemplateToken(kind: .variableBegin, position: tagPosition))
                endResult = try lexExpression(closer: "}", endKind: .variableEnd, openedAt: tagPosition)
            case .block:
                tokens.append(TemplateToken(kind: .blockBegin, position: tagPosition))
                endResult = try lexExpression(closer: "%", endKind: .blockEnd, openedAt: tagPosition)
                try lexRawBlockIfOpened()
            }
            stripNextTextStart = endResult.stripAfter
            lineStarting = endResult.trimmedNewline
        }
        tokens.append(TemplateToken(kind: .endOfInput, position: position))
    }

    /// `lstrip_blocks`: spaces and tabs between the last line start and a block tag go.
    private static func lstripLastLine(_ text: String, lineStarting: Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        let lastNewline = scalars.lastIndex(of: "\n")
        guard lastNewline != nil || lineStarting else { return text }
        let lineStart = lastNewline.map { $0 + 1 } ?? 0
        guard scalars[lineStart...].allSatisfy({ $0 == " " || $0 == "\t" }) else { return text }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[..<lineStart])
        return String(view)
    }

    /// Consumes a tag's closing delimiter (`-X}`, `+X}` or `X}` with X = `closer`);
    /// applies `trim_blocks` for block and comment tags.
    private mutating func closeTag(closer: Unicode.Scalar, trimsNewline: Bool) -> (stripAfter: Bool, trimmedNewline: Bool) {
        let modifier = peek()
        if modifier == "-" || modifier == "+" { advance(3) } else { advance(2) }
        if modifier == "-" { return (true, false) }
        if trimsNewline, modifier != "+", peek() == "\n" {
            advance()
            return (false, true)
        }
        return (false, false)
    }

    private func atTagEnd(_ closer: Unicode.Scalar) -> Bool {
        if peek() == closer, peek(1) == "}" { return true }
        if let modifier = peek(), modifier == "-" || modifier == "+", peek(1) == closer, peek(2) == "}" { return true }
        return false
    }

    private mutating func skipComment(openedAt start: SourcePosition) throws(TemplateError) -> (stripAfter: Bool, trimmedNewline: Bool) {
        while index < source.count {
            if atTagEnd("#") { return closeTag(closer: "#", trimsNewline: true) }
            advance()
        }
        throw TemplateError(.syntax, "comment is not closed with #}", at: start)
    }

    /// After `{% raw %}`: everything up to `{% endraw %}` is one text token.
    private mutating func lexRawBlockIfOpened() throws(TemplateError) {
        let count = tokens.count
        guard count >= 3, tokens[count - 3].kind == .blockBegin, tokens[count - 2].kind == .name("raw"),
              tokens[count - 1].kind == .blockEnd else { return }
        let rawStart = tokens[count - 3].position
        tokens.removeLast(3)
        let textPosition = position
        var text = String.UnicodeScalarView()
        while index < source.count {
            if peek() == "{", peek(1) == "%" {
                var k = 2
                if peek(k) == "-" || peek(k) == "+" { k += 1 }
                while peek(k) == " " { k += 1 }
                if starts(with: "endraw", at: k) {
                    advance(k + 6)
                    while peek() == " " { advance() }
                    guard atTagEnd("%") else { break }
                    _ = closeTag(closer: "%", trimsNewline: true)
                    tokens.append(TemplateToken(kind: .text(String(text)), position: textPosition))
                    return
                }
            }
            text.append(source[index])
            advance()
        }
        throw TemplateError(.syntax, "{% raw %} is not closed with {% endraw %}", at: rawStart)
    }

    private static let twoCharacterSymbols: Set<String> = ["==", "!=", "<=", ">=", "//", "**"]
    private static let oneCharacterSymbols: Set<Unicode.Scalar> = [
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|",
    ]

    private mutating func lexExpression(
        closer: Unicode.Scalar, endKind: TemplateToken.Kind, openedAt start: SourcePosition
    ) throws(TemplateError) -> (stripAfter: Bool, trimmedNewline: Bool) {
        var braceDepth = 0
        while true {
            while let scalar = peek(), scalar.properties.isWhitespace { advance() }
            guard let scalar = peek() else {
                throw TemplateError(.syntax, "tag is not closed with \(closer)}", at: start)
            }
            if braceDepth == 0, atTagEnd(closer) {
                let tokenPosition = position
                let result = closeTag(closer: closer, trimsNewline: endKind == .blockEnd)
                tokens.append(TemplateToken(kind: endKind, position: tokenPosition))
                return result
            }
            let tokenPosition = position
            if scalar == "_" || scalar.properties.isAlphabetic {
                var name = String.UnicodeScalarView()
                while let next = peek(), next == "_" || next.properties.isAlphabetic || ("0"..."9").contains(next) {
                    name.append(next)
                    advance()
                }
                tokens.append(TemplateToken(kind: .name(String(name)), position: tokenPosition))
            } else if ("0"..."9").contains(scalar) {
                tokens.append(TemplateToken(kind: try lexNumber(), position: tokenPosition))
            } else if scalar == "'" || scalar == "\"" {
                tokens.append(TemplateToken(kind: .string(try lexString(quote: scalar)), position: tokenPosition))
            } else {
                var symbol = String(scalar)
                if let next = peek(1), Self.twoCharacterSymbols.contains(symbol + String(next)) {
                    symbol += String(next)
                } else if !Self.oneCharacterSymbols.contains(scalar) {
                    throw TemplateError(.syntax, "unexpected character '\(scalar)'", at: tokenPosition)
                }
                if symbol == "{" { braceDepth += 1 }
                if symbol == "}" { braceDepth -= 1 }
                advance(symbol.unicodeScalars.count)
                tokens.append(TemplateToken(kind: .symbol(symbol), position: tokenPosition))
            }
        }
    }

    private mutating func lexNumber() throws(TemplateError) -> TemplateToken.Kind {
        let start = position
        var text = ""
        var isFloat = false
        func digits(_ lexer: inout TemplateLexer, into text: inout String) {
            while let next = lexer.peek(), ("0"..."9").contains(next) || next == "_" {
                if next != "_" { text.unicodeScalars.append(next) }
                lexer.advance()
            }
        }
        digits(&self, into: &text)
        if peek() == ".", let next = peek(1), ("0"..."9").contains(next) {
            isFloat = true
            text += "."
            advance()
            digits(&self, into: &text)
        }
        if let e = peek(), e == "e" || e == "E" {
            var k = 1
            if peek(1) == "+" || peek(1) == "-" { k = 2 }
            if let digit = peek(k), ("0"..."9").contains(digit) {
                isFloat = true
                for _ in 0..<k { text.unicodeScalars.append(peek()!); advance() }
                digits(&self, into: &text)
            }
        }
        if isFloat {
            guard let value = Double(text) else { throw TemplateError(.syntax, "bad number \(text)", at: start) }
            return .float(value)
        }
        guard let value = Int(text) else { throw TemplateError(.syntax, "integer \(text) is too large", at: start) }
        return .integer(value)
    }

    /// A quoted string with Python's backslash escapes (as Jinja unescapes them).
    private mutating func lexString(quote: Unicode.Scalar) throws(TemplateError) -> String {
        let start = position
        advance()
        var result = String.UnicodeScalarView()
        while let scalar = peek() {
            if scalar == quote {
                advance()
                return String(result)
            }
            if scalar == "\\", let escaped = peek(1) {
                advance(2)
                switch escaped {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "0": result.append("\0")
                case "a": result.append("\u{07}")
                case "b": result.append("\u{08}")
                case "f": result.append("\u{0C}")
                case "v": result.append("\u{0B}")
                case "\\", "'", "\"": result.append(escaped)
                case "\n": break
                case "x", "u", "U":
                    let length = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                    var hex = ""
                    for _ in 0..<length {
                        guard let digit = peek(), digit.properties.isASCIIHexDigit else {
                            throw TemplateError(.syntax, "bad \\\(escaped) escape in string", at: start)
                        }
                        hex.unicodeScalars.append(digit)
                        advance()
                    }
                    guard let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) else {
                        throw TemplateError(.syntax, "bad \\\(escaped) escape in string", at: start)
                    }
                    result.append(decoded)
                default:
                    result.append("\\")
                    result.append(escaped)
                }
                continue
            }
            result.append(scalar)
            advance()
        }
        throw TemplateError(.syntax, "string is not closed", at: start)
    }
}
