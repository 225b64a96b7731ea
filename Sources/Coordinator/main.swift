import Core
import Foundation

/// `realign COMMAND ...`: the user's side of the fleet.
let commands: [(name: String, summary: String, run: @Sendable ([String]) async -> ExitCode)] = [
    ("teacher", TeacherCommand.spec.summary, TeacherCommand.main),
    ("generate", GenerateCommand.spec.summary, GenerateCommand.main),
    ("serve", ServeCommand.spec.summary, ServeCommand.main),
    ("status", StatusCommand.spec.summary, StatusCommand.main),
    ("broker", BrokerCommand.spec.summary, BrokerCommand.main),
    ("train", TrainCommand.spec.summary, TrainCommand.main),
    ("eval", EvalCommand.spec.summary, EvalCommand.main),
    ("expand", ExpandCommand.spec.summary, ExpandCommand.main),
    ("bench", BenchCommand.spec.summary, BenchCommand.main),
]

@MainActor func usage() -> String {
    var lines = ["realign - flexible realignment of language models (TrRa / InRa) on a Kafka fleet", "",
                 "Usage: realign COMMAND [options]   (realign COMMAND --help for its options)", "", "Commands:"]
    for command in commands { lines.append("  " + command.name.padding(toLength: 10, withPad: " ", startingAt: 0) + command.summary) }
    return lines.joined(separator: "\n") + "\n"
}

OpenBLASKernels.restartWithSuitedKernelsIfNeeded()
let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, !["-h", "--help", "help"].contains(name) else {
    print(usage(), terminator: "")
    exit(arguments.isEmpty ? ExitCode.usage.rawValue : ExitCode.success.rawValue)
}
guard let command = commands.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data("realign: unknown command \(name)\n\n\(usage())".utf8))
    exit(ExitCode.usage.rawValue)
}
exit(await command.run(Array(arguments.dropFirst())).rawValue)
