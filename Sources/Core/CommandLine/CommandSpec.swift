import Foundation

/// A command's options, parsed from its arguments with `--help` generated from the same
/// declarations, so the two never drift apart. Conventions follow kcat and the Kafka
/// tools: `--name value` or `--name=value`, repeatable options (`-X k=v -X k2=v2`),
/// defaults from environment variables (`REALIGN_BROKERS`).
public struct CommandSpec: Sendable {
    public struct Option: Sendable {
        public var name: String
        public var short: Character?
        /// `nil` for a flag that takes no value.
        public var valueName: String?
        public var help: String
        public var repeatable: Bool
        public var environment: String?

        public init(_ name: String, short: Character? = nil, value valueName: String? = nil,
                    help: String, repeatable: Bool = false, environment: String? = nil) {
            self.name = name
            self.short = short
            self.valueName = valueName
            self.help = help
            self.repeatable = repeatable
            self.environment = environment
        }
    }

    public var name: String
    public var summary: String
    public var usage: String
    public var options: [Option]
    public var epilog: String

    public init(name: String, summary: String, usage: String, options: [Option], epilog: String = "") {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options + [Option("help", short: "h", help: "Show this help and exit.")]
        self.epilog = epilog
    }

    public var helpText: String {
        var lines = ["\(name) - \(summary)", "", "Usage: \(usage)", "", "Options:"]
        let labels = options.map { option -> String in
            var label = option.short.map { "-\($0), " } ?? "    "
            label += "--\(option.name)"
            if let valueName = option.valueName { label += " \(valueName)" }
            return label
        }
        let width = min(36, (labels.map(\.count).max() ?? 0) + 2)
        for (option, label) in zip(options, labels) {
            var help = option.help
            if let environment = option.environment { help += " [env: \(environment)]" }
            if option.repeatable { help += " (repeatable)" }
            let padding = label.count < width ? String(repeating: " ", count: width - label.count) : "\n  " + String(repeating: " ", count: width)
            lines.append("  " + label + padding + help)
        }
        if !epilog.isEmpty { lines += ["", epilog] }
        return lines.joined(separator: "\n") + "\n"
    }

    public func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                parsed.positionals += arguments[index...]
                break
            }
            var inlineValue: String?
            let option: Option
            if argument.hasPrefix("--") {
                var name = String(argument.dropFirst(2))
                if let equals = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                guard let match = options.first(where: { $0.name == name }) else {
                    throw UsageError(command: self.name, message: "unknown option --\(name)")
                }
                option = match
            } else {
                let letters = argument.dropFirst()
                guard let letter = letters.first, let match = options.first(where: { $0.short == letter }) else {
                    throw UsageError(command: self.name, message: "unknown option \(argument)")
                }
                if letters.count > 1 { inlineValue = String(letters.dropFirst()) }
                option = match
            }
            guard option.valueName != nil else {
                if inlineValue != nil { throw UsageError(command: self.name, message: "--\(option.name) takes no value") }
                parsed.flags.insert(option.name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                // `--lambda --limit 3` forgot the value: say so, not "--limit is not a number".
                guard index < arguments.count, !names(anOption: arguments[index]) else {
                    throw UsageError(command: self.name, message: "--\(option.name) needs a value (\(option.valueName!))")
                }
                value = arguments[index]
                index += 1
            }
            if !option.repeatable, parsed.values[option.name] != nil {
                throw UsageError(command: self.name, message: "--\(option.name) given twice")
            }
            parsed.values[option.name, default: []].append(value)
        }
        for option in options where parsed.values[option.name] == nil {
            if let variable = option.environment, let value = environment[variable], !value.isEmpty {
                parsed.values[option.name] = [value]
            }
        }
        parsed.command = name
        return parsed
    }

    /// Whether `argument` is one of this command's long options (`--limit`, `--limit=3`).
    /// Short ones are left out: `-0.5` is a value.
    private func names(anOption argument: String) -> Bool {
        guard argument.hasPrefix("--") else { return false }
        let name = argument.dropFirst(2).prefix { $0 != "=" }
        return options.contains { $0.name == name }
    }
}

/// The result of parsing: values by option name, flags, and positional arguments, with
/// typed accessors that turn a bad value into a usage error naming the option.
public struct ParsedArguments: Sendable {
    public var command = ""
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []
    public var positionals: [String] = []

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    public func string(_ name: String) -> String? { values[name]?.last }

    public func strings(_ name: String) -> [String] { values[name] ?? [] }

    public func required(_ name: String) throws(UsageError) -> String {
        guard let value = string(name) else { throw UsageError(command: command, message: "--\(name) is required") }
        return value
    }

    public func int(_ name: String, in range: ClosedRange<Int>? = nil) throws(UsageError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else { throw UsageError(command: command, message: "--\(name) must be an integer, got \(text)") }
        if let range, !range.contains(value) {
            throw UsageError(command: command, message: "--\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        return value
    }

    public func double(_ name: String) throws(UsageError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw UsageError(command: command, message: "--\(name) must be a finite number, got \(text)")
        }
        return value
    }

    /// A comma-separated list of numbers (`--lambda 0.5,2`), or repeated options.
    public func doubles(_ name: String) throws(UsageError) -> [Double] {
        var result: [Double] = []
        for list in strings(name) {
            for text in list.split(separator: ",", omittingEmptySubsequences: false) {
                let item = text.trimmingCharacters(in: .whitespaces)
                guard !item.isEmpty else {
                    throw UsageError(command: command, message: "--\(name): \(list) has an empty item")
                }
                guard let value = Double(item) else {
                    throw UsageError(command: command, message: "--\(name): \(item) is not a number")
                }
                result.append(value)
            }
        }
        return result
    }
}

/// A mistake in how a command was called; the command prints it with a pointer to
/// `--help` and exits with status 2.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public var command: String
    public var message: String

    public init(command: String, message: String) {
        self.command = command
        self.message = message
    }

    public var description: String { "\(command): \(message) (see --help)" }
}
