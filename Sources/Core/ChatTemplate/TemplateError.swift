/// A chat template that could not be parsed or rendered, with where in the template
/// source it happened (1-based line and column).
public struct TemplateError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// Malformed template text.
        case syntax
        /// A Jinja construct, filter, test, method or function this renderer does not implement.
        case unsupported
        /// Evaluation failed: wrong types, undefined values, bad arguments.
        case runtime
        /// The template itself called `raise_exception(message)`.
        case raised
    }

    public let kind: Kind
    public let message: String
    public let line: Int
    public let column: Int

    public init(_ kind: Kind, _ message: String, at position: SourcePosition) {
        self.kind = kind
        self.message = message
        self.line = position.line
        self.column = position.column
    }

    public var description: String {
        let prefix: String
        switch kind {
        case .syntax: prefix = "syntax error"
        case .unsupported: prefix = "unsupported"
        case .runtime: prefix = "error"
        case .raised: prefix = "template raised an exception"
        }
        return "chat template line \(line), column \(column): \(prefix): \(message)"
    }
}

/// A place in a template's source text.
public struct SourcePosition: Sendable, Equatable {
    public let line: Int
    public let column: Int
}
