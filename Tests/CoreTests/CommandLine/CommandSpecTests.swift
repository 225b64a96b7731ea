import Testing
@testable import Core

struct CommandSpecTests {
    static let spec = CommandSpec(
        name: "teacher", summary: "s", usage: "u",
        options: [
            .init("lambda", short: "l", value: "L[,L...]", help: "h", repeatable: true),
            .init("limit", short: "n", value: "N", help: "h"),
            .init("brokers", short: "b", value: "LIST", help: "h", environment: "REALIGN_BROKERS"),
            .init("resume", help: "h"),
        ])

    static func parse(_ arguments: [String], environment: [String: String] = [:]) throws(UsageError) -> ParsedArguments {
        try spec.parse(arguments, environment: environment)
    }

    @Test func valuesFlagsAndEnvironment() throws {
        let parsed = try Self.parse(["--lambda", "0.5,2", "-l-1", "--limit=3", "--resume"], environment: ["REALIGN_BROKERS": "k:9092"])
        #expect(try parsed.doubles("lambda") == [0.5, 2, -1])
        #expect(try parsed.int("limit") == 3)
        #expect(parsed.has("resume"))
        #expect(parsed.string("brokers") == "k:9092")
        #expect(try Self.parse(["-b", "a:1"], environment: ["REALIGN_BROKERS": "k:9092"]).string("brokers") == "a:1")
    }

    /// A negative number is a value, not an unknown short option.
    @Test func aNegativeNumberIsAValue() throws {
        #expect(try Self.parse(["--lambda", "-0.5"]).doubles("lambda") == [-0.5])
    }

    /// `--lambda --limit 3` forgot lambda's value; the error says so rather than that
    /// "--limit" is not a number.
    @Test func anOptionWhereAValueBelongsIsAMissingValue() {
        #expect(throws: UsageError(command: "teacher", message: "--lambda needs a value (L[,L...])")) {
            try Self.parse(["--lambda", "--limit", "3"])
        }
        #expect(throws: UsageError(command: "teacher", message: "--lambda needs a value (L[,L...])")) {
            try Self.parse(["--lambda", "--limit=3"])
        }
        #expect(throws: UsageError(command: "teacher", message: "--limit needs a value (N)")) {
            try Self.parse(["--limit"])
        }
    }

    @Test func badNumberListsAreUsageErrors() throws {
        #expect(throws: UsageError(command: "teacher", message: "--lambda: 0.5, has an empty item")) {
            try Self.parse(["--lambda", "0.5,"]).doubles("lambda")
        }
        #expect(throws: UsageError(command: "teacher", message: "--lambda: x is not a number")) {
            try Self.parse(["--lambda", "0.5, x"]).doubles("lambda")
        }
        #expect(throws: UsageError(command: "teacher", message: "--limit must be an integer, got 3.5")) {
            try Self.parse(["--limit", "3.5"]).int("limit")
        }
    }

    @Test func unknownAndRepeatedOptions() {
        #expect(throws: UsageError(command: "teacher", message: "unknown option --lamda")) { try Self.parse(["--lamda", "1"]) }
        #expect(throws: UsageError(command: "teacher", message: "--limit given twice")) { try Self.parse(["-n", "1", "-n", "2"]) }
        #expect(throws: UsageError(command: "teacher", message: "--resume takes no value")) { try Self.parse(["--resume=yes"]) }
    }
}
