import Core
import Foundation

/// `realign eval`: how models (and an InRa model's lambdas) answer held-out prompts and
/// score held-out responses.
enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval",
        summary: "greedy answer lengths, log-likelihood of the reference responses and KL to a teacher, per model or lambda",
        usage: """
        realign eval --model PATH [--model PATH ...] [--adapter FILE] \
        (--teacher DIR --teacher-lambda L | --data FILE) [--lambda 0,0.5,1] [options]
        """,
        options: [
            .init("model", short: "m", value: "PATH", help: "A model to evaluate (GGUF file or Hugging Face directory, e.g. a train checkpoint); an expanded model (config.json declares realign_inra) is evaluated at each --lambda.", repeatable: true),
            .init("adapter", value: "FILE", help: "An InRa adapter file for the one --model, its base."),
            .init("lambda", short: "l", value: "L,...", help: "InRa models: the lambdas to evaluate (default 0,1)."),
            .init("teacher", value: "DIR", help: "A teacher output directory of held-out sequences (realign teacher --out): KL, log-likelihood and, without --data, the prompts."),
            .init("teacher-lambda", value: "L", help: "Which of the teacher's lambdas is the teacher."),
            .init("data", short: "d", value: "FILE", help: "Held-out records (the formats of realign teacher), rendered with each model's chat template: the prompts and, without --teacher, the reference responses."),
            .init("system", value: "TEXT", help: "With --data: the system message of the prompts (replacing the record's or the template's default)."),
            .init("max-tokens", value: "N", help: "Cap of a greedy answer (default 256; 0: no generation)."),
            .init("gen-batch", value: "N", help: "Answers generated together (default 8)."),
            .init("limit", short: "n", value: "N", help: "Only the first N sequences or records."),
            .init("out", short: "o", value: "FILE", help: "Write the results as JSON, every answer's text included."),
            .init("batch-tokens", value: "N", help: "Tokens per forward pass of the likelihood (default 4096)."),
            .init("threads", short: "t", value: "N", help: "Compute threads (default: all cores)."),
        ],
        epilog: """
        Prints one row per model (per lambda for InRa): the mean forward KL(teacher||model) \
        and reverse KL(model||teacher) per response token (with --teacher; the mass outside \
        the teacher's top-k spread uniformly, as in training), the mean log-likelihood of the \
        reference responses per token and per sequence, and the mean and median number of \
        tokens of the greedy answers to the prompts (a final end-of-turn token counted) and \
        how many stopped at --max-tokens. Exit status: 0 done, 1 failure (unreadable model, \
        data or teacher), 2 usage error. REALIGN_WEIGHTS=quantized loads a GGUF's quantised \
        weights as the workers do (see realign-worker --help); the default is exact.
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            func usage(_ message: String) -> UsageError { UsageError(command: spec.name, message: message) }
            let models = arguments.strings("model")
            guard !models.isEmpty else { throw usage("--model is required") }
            let adapter = arguments.string("adapter")
            if adapter != nil, models.count != 1 { throw usage("--adapter applies to exactly one --model, its base") }
            let teacher = arguments.string("teacher")
            let teacherLambda = try arguments.double("teacher-lambda")
            if teacher != nil, teacherLambda == nil { throw usage("--teacher needs --teacher-lambda") }
            if teacher == nil, teacherLambda != nil { throw usage("--teacher-lambda belongs to --teacher") }
            let dataPath = arguments.string("data")
            guard teacher != nil || dataPath != nil else { throw usage("give --teacher DIR --teacher-lambda L, --data FILE, or both") }
            let system = arguments.string("system")
            if system != nil, dataPath == nil { throw usage("--system applies to the prompts of --data") }
            let lambdas = try arguments.doubles("lambda")
            if let bad = lambdas.first(where: { !$0.isFinite || !TeacherJob.lambdaRange.contains($0) }) {
                throw usage("--lambda \(bad) is not a finite number in [-10, 10]")
            }
            let maxTokens = try arguments.int("max-tokens", in: 0...1_000_000) ?? 256
            let generationBatch = try arguments.int("gen-batch", in: 1...4096) ?? 8
            let budget = try arguments.int("batch-tokens", in: 1...10_000_000) ?? 4096
            let limit = try arguments.int("limit", in: 1...Int.max)
            ComputeThreads.set(try arguments.int("threads", in: 1...1024) ?? ProcessInfo.processInfo.activeProcessorCount)

            let teacherSequences = try teacher.map { (directory) throws -> [TrainingSequence] in
                try TrainingData.teacherOutput(directory: directory, lambdaTag: LambdaTag.tag(for: teacherLambda!), limit: limit)
            }
            let records = try dataPath.map { try DatasetReader.read(path: $0, limit: limit) }
            var candidates: [EvaluatedModel] = []
            for path in models {
                candidates.append(try EvaluatedModel(path: path, adapter: adapter))
            }
            if !lambdas.isEmpty, !candidates.contains(where: \.isInRa) {
                throw usage("--lambda applies to InRa models (expanded directories or --adapter); none is given")
            }

            var rows: [EvaluationRow] = []
            for candidate in candidates {
                let dataSequences = try records.map { try candidate.render($0, source: dataPath!, system: system) }
                let scored = teacherSequences ?? dataSequences!
                let prompts = (dataSequences ?? teacherSequences!).map {
                    GreedyAnswers.Prompt(id: $0.id, ids: Array($0.ids[..<$0.promptLength]))
                }
                let longest = scored.map(\.ids.count).max() ?? 1
                guard longest <= candidate.contextLength else {
                    throw usage("\(candidate.label): a sequence of \(longest) tokens exceeds the context of \(candidate.contextLength)")
                }
                let variants: [Double?] = candidate.isInRa ? (lambdas.isEmpty ? [0, 1] : lambdas) : [nil]
                for lambda in variants {
                    let evaluation = ResponseEvaluation.run(sequences: scored, tokenBudget: budget) {
                        candidate.logits(sequences: $0, rows: $1, lambda: lambda)
                    }
                    let answers = maxTokens == 0 ? [] : try GreedyAnswers.generate(
                        model: candidate.decoding, tokenizer: candidate.served?.tokenizer, prompts: prompts,
                        lambda: Float(lambda ?? 1), maxTokens: maxTokens, stopTokenIds: candidate.stopTokenIds,
                        batchSize: generationBatch)
                    let row = EvaluationRow(model: candidate.label, lambda: lambda, evaluation: evaluation, answers: answers,
                                            lengths: maxTokens == 0 ? nil : AnswerLengths(answers, maxTokens: maxTokens))
                    print(row.tableLine)
                    rows.append(row)
                }
            }
            if let out = arguments.string("out") {
                let document = JSONValue.object([
                    JSONMember("teacher", teacher.map(JSONValue.string) ?? .null),
                    JSONMember("teacher_lambda", teacherLambda.map(JSONValue.double) ?? .null),
                    JSONMember("data", dataPath.map(JSONValue.string) ?? .null),
                    JSONMember("system", system.map(JSONValue.string) ?? .null),
                    JSONMember("max_tokens", .integer(Int64(maxTokens))),
                    JSONMember("results", .array(rows.map(\.json))),
                ])
                guard FileManager.default.createFile(atPath: out, contents: Data(document.jsonBytes)) else {
                    throw FileError(path: out, problem: "cannot write the results")
                }
            }
            return .success
        }
    }
}

/// A model under evaluation: plain, or InRa (an expanded directory, or a base and an
/// adapter file), with its tokenizer and template for prompts and answers when it has them.
private struct EvaluatedModel {
    let label: String
    /// Nil for a model without a tokenizer: it is scored and generates ids, but renders no records.
    let served: ServedModel?
    let transformer: Transformer
    let decoding: DecodingModel
    let inra: InRaModel?
    let stopTokenIds: [Int32]
    let contextLength: Int

    init(path: String, adapter: String?) throws {
        let file: ModelFile
        let declared = try InRaModel.declaredAdapterLayer(directory: path)
        let precision = try WeightPrecision.inference(environment: ProcessInfo.processInfo.environment)
        if adapter != nil || declared != nil {
            let loaded = try InRaModel.load(path: path, adapter: adapter, precision: precision)
            (inra, file, transformer, decoding) = (loaded.model, loaded.file, loaded.model.transformer, .inra(loaded.model))
        } else {
            file = try ModelLoader.load(path: path, precision: precision)
            inra = nil
            transformer = Transformer(weights: file.weights)
            decoding = .plain(transformer)
        }
        served = file.tokenizer != nil || file.huggingFaceTokenizerJSON != nil ? try ServedModel(name: path, file: file) : nil
        stopTokenIds = served?.stopTokenIDs ?? file.stopTokenIds
        contextLength = file.weights.config.contextLength
        label = adapter.map { "\(path) + \($0)" } ?? path
    }

    var isInRa: Bool { inra != nil }

    func logits(sequences: [[Int32]], rows: [Range<Int>], lambda: Double?) -> [Matrix] {
        if let inra { return inra.logits(sequences: sequences, rows: rows, lambda: Float(lambda ?? 1)) }
        return transformer.logits(sequences: sequences, rows: rows)
    }

    /// The records as this model's chat template renders them, under `system` when given.
    func render(_ records: [SequenceInput], source: String, system: String?) throws -> [TrainingSequence] {
        guard let served else {
            throw TrainingDataError(source: source, problem: "model \(label) has no tokenizer to render the records with")
        }
        let renderer = SequenceRenderer(model: served)
        return try records.enumerated().map { index, record in
            func fail(_ problem: String) -> TrainingDataError {
                TrainingDataError(source: source, problem: "record \(index) (id \"\(record.id)\"): \(problem)")
            }
            let view: RenderedSequence
            do throws(SequenceProblem) {
                try record.check()
                view = try renderer.render(record, systemOverride: system)
            } catch {
                throw fail(error.problem)
            }
            guard view.promptLength >= 1, view.promptLength < view.ids.count else {
                throw fail("no response after a prompt of \(view.promptLength) tokens")
            }
            return TrainingSequence(id: record.id, ids: view.ids, promptLength: view.promptLength)
        }
    }
}

/// One evaluated model (or InRa lambda): its table line and JSON.
private struct EvaluationRow {
    let model: String
    let lambda: Double?
    let evaluation: ResponseEvaluation
    let answers: [GenerationResult]
    let lengths: AnswerLengths?

    var tableLine: String {
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        var line = model + (lambda.map { "  lambda \(Self.shortest($0))" } ?? "")
        if evaluation.forwardKL != nil {
            line += "  forward KL \(number(evaluation.forwardKL, "%.4f"))  reverse KL \(number(evaluation.reverseKL, "%.4f"))"
        }
        line += String(format: "  log-lik/token %.4f  log-lik/sequence %.2f (%d sequences, %d response tokens)",
                       evaluation.meanTokenLogLikelihood, evaluation.meanSequenceLogLikelihood,
                       evaluation.sequences, evaluation.responseTokens)
        if let lengths {
            line += String(format: "  answer tokens mean %.1f median %.1f, %d of %d at the cap of %d",
                           lengths.mean, lengths.median, lengths.atCap, lengths.answers, lengths.maxTokens)
        }
        return line
    }

    static func shortest(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    var json: JSONValue {
        func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }
        return .object([
            JSONMember("model", .string(model)),
            JSONMember("lambda", optional(lambda)),
            JSONMember("sequences", .integer(Int64(evaluation.sequences))),
            JSONMember("response_tokens", .integer(Int64(evaluation.responseTokens))),
            JSONMember("forward_kl", optional(evaluation.forwardKL)),
            JSONMember("reverse_kl", optional(evaluation.reverseKL)),
            JSONMember("log_likelihood_per_token", .double(evaluation.meanTokenLogLikelihood)),
            JSONMember("log_likelihood_per_sequence", .double(evaluation.meanSequenceLogLikelihood)),
            JSONMember("answers", lengths.map { lengths in
                .object([
                    JSONMember("count", .integer(Int64(lengths.answers))),
                    JSONMember("mean_tokens", .double(lengths.mean)),
                    JSONMember("median_tokens", .double(lengths.median)),
                    JSONMember("at_cap", .integer(Int64(lengths.atCap))),
                    JSONMember("max_tokens", .integer(Int64(lengths.maxTokens))),
                    JSONMember("items", .array(answers.map { answer in
                        .object([
                            JSONMember("id", .string(answer.id)),
                            JSONMember("tokens", .integer(Int64(answer.completionTokens))),
                            JSONMember("finish_reason", .string(answer.finishReason.rawValue)),
                            JSONMember("text", .string(answer.text)),
                        ])
                    })),
                ])
            } ?? .null),
        ])
    }
}
