/// The exit statuses of realign's commands, documented in the README.
public enum ExitCode: Int32, Sendable {
    /// Everything asked for was done.
    case success = 0
    /// The command failed (a file could not be read, the broker could not be reached, ...).
    case failure = 1
    /// The command was called wrongly (unknown option, bad value).
    case usage = 2
    /// The run finished, but some records failed and are listed in the output.
    case partial = 3
    /// The run asked about has not finished (`realign status`).
    case incomplete = 4
    /// Interrupted by SIGINT / SIGTERM.
    case interrupted = 130
}
