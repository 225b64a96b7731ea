/// Why a tokenizer could not be built from a spec or a Hugging Face file.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A merge rule is not two space-separated tokens.
    case malformedMerge(index: Int, rule: String)
    /// A special token id is outside the vocabulary.
    case specialTokenOutOfRange(id: Int32, vocabularySize: Int)
    /// A field of `tokenizer.json` / `tokenizer_config.json` is missing or has the wrong shape.
    case invalidJSON(file: String, field: String, problem: String)
    /// The file describes a tokenizer this implementation does not reproduce.
    case unsupported(file: String, field: String, value: String)

    public var description: String {
        switch self {
        case let .malformedMerge(index, rule):
            return "merge rule \(index) is not two space-separated tokens: \"\(rule)\""
        case let .specialTokenOutOfRange(id, size):
            return "special token id \(id) is outside the vocabulary of \(size) tokens"
        case let .invalidJSON(file, field, problem):
            return "\(file): field \(field): \(problem)"
        case let .unsupported(file, field, value):
            return "\(file): field \(field): unsupported value \(value)"
        }
    }
}
