import Foundation

/// A model given on the command line: `NAME=PATH`, a bare `PATH` (named after its file
/// without the extension), or a bare `NAME` (served by workers started elsewhere).
public enum ModelArgument: Sendable, Equatable {
    case local(name: String, path: String)
    case remote(name: String)

    public init(_ text: String) {
        if let equals = text.firstIndex(of: "="), equals != text.startIndex {
            self = .local(name: String(text[..<equals]), path: String(text[text.index(after: equals)...]))
        } else if text.contains("/") || text.hasSuffix(".gguf") || FileManager.default.fileExists(atPath: text) {
            let file = URL(fileURLWithPath: text).lastPathComponent
            let name = file.hasSuffix(".gguf") ? String(file.dropLast(5)) : file
            self = .local(name: name, path: text)
        } else {
            self = .remote(name: text)
        }
    }

    public var name: String {
        switch self {
        case .local(let name, _), .remote(let name): name
        }
    }

    public var path: String? {
        if case .local(_, let path) = self { return path }
        return nil
    }

    /// A model the process must load itself: a name and a path.
    public static func parse(_ text: String, command: String) throws(UsageError) -> (name: String, path: String) {
        guard case .local(let name, let path) = ModelArgument(text) else {
            throw UsageError(command: command, message: "--model \(text): give NAME=PATH or a path to a model file or directory")
        }
        guard !name.isEmpty, !path.isEmpty else { throw UsageError(command: command, message: "--model \(text): empty name or path") }
        return (name, path)
    }
}
