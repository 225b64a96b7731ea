/// A command's Kafka options as it was given them (`-F` files, `-X` properties), to be
/// handed on to the processes it starts, which read them as their own: a secret in a
/// file is never copied onto a command line, where `ps` would show it.
public struct KafkaOptionArguments: Sendable, Equatable {
    public var files: [String]
    public var properties: [String]

    public init(files: [String] = [], properties: [String] = []) {
        self.files = files
        self.properties = properties
    }

    /// The options as arguments of another realign command.
    public var arguments: [String] {
        files.flatMap { ["-F", $0] } + properties.flatMap { ["-X", $0] }
    }
}
