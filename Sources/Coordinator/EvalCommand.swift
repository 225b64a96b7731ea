import Core
import Foundation

/// `realign eval`: how close models are to a stored teacher on held-out sequences.
enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval",
        summary: "KL to a teacher and log-likelihood of the reference responses, per model",
        usage: "realign eval --model PATH [--model PATH ...] --teacher DIR --lambda L [options]",
        options: [
            .init("model", short: "m", value: "PATH", help: "A model to evaluate (GGUF file or Hugging Face directory, e.g. a train checkpoint).", repeatable: true),
            .init("teacher", value: "DIR", help: "A teacher output directory of held-out sequences (realign teacher --out)."),
            .init("lambda", short: "l", value: "L", help: "Which of its lambdas is the teacher."),
            .init("limit", short: "n", value: "N", help: "Only the first N sequences."),
            .init("batch-tokens", value: "N", help: "Tokens per forward pass (default 4096)."),
            .init("threads", short: "t", value: "N", help: "Compute threads (default: all cores)."),
        ],
        epilog: """
        Prints one line per model: the mean forward KL(teacher||model) and reverse \
        KL(model||teacher) per response token (the mass outside the teacher's top-k spread \
        uniformly, as in training), and the mean log-likelihood of the reference \
        responses per token and per sequence; then the same as JSON lines.
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            let models = arguments.strings("model")
            guard !models.isEmpty else { throw UsageError(command: spec.name, message: "--model is required") }
            let teacher = try arguments.required("teacher")
            guard let lambda = try arguments.double("lambda") else { throw UsageError(command: spec.name, message: "--lambda is required") }
            let budget = try arguments.int("batch-tokens", in: 1...10_000_000) ?? 4096
            ComputeThreads.set(try arguments.int("threads", in: 1...1024) ?? ProcessInfo.processInfo.activeProcessorCount)
            let sequences = try TrainingData.teacherOutput(directory: teacher, lambdaTag: LambdaTag.tag(for: lambda),
                                                           limit: try arguments.int("limit", in: 1...Int.max))
            var results: [(String, TeacherEvaluation)] = []
            for path in models {
                let weights = try ModelLoader.load(path: path).weights
                let longest = sequences.map(\.ids.count).max() ?? 1
                guard longest <= weights.config.contextLength else {
                    throw UsageError(command: spec.name, message: "\(path): a sequence of \(longest) tokens exceeds the context of \(weights.config.contextLength)")
                }
                let evaluation = TeacherEvaluation.run(model: Transformer(weights: weights, maxPositions: longest),
                                                       sequences: sequences, tokenBudget: budget)
                results.append((path, evaluation))
                print(String(format: "%@  forward KL %.4f  reverse KL %.4f  log-lik/token %.4f  log-lik/sequence %.2f  (%d sequences, %d response tokens)",
                             path, evaluation.forwardKL, evaluation.reverseKL, evaluation.meanTokenLogLikelihood,
                             evaluation.meanSequenceLogLikelihood, evaluation.sequences, evaluation.responseTokens))
            }
            for (path, evaluation) in results {
                print(JSONValue.object([
                    JSONMember("model", .string(path)), JSONMember("teacher", .string(teacher)),
                    JSONMember("lambda", .double(lambda)), JSONMember("sequences", .integer(Int64(evaluation.sequences))),
                    JSONMember("response_tokens", .integer(Int64(evaluation.responseTokens))),
                    JSONMember("forward_kl", .double(evaluation.forwardKL)), JSONMember("reverse_kl", .double(evaluation.reverseKL)),
                    JSONMember("log_likelihood_per_token", .double(evaluation.meanTokenLogLikelihood)),
                    JSONMember("log_likelihood_per_sequence", .double(evaluation.meanSequenceLogLikelihood)),
                ]).jsonText)
            }
            return .success
        }
    }
}
