import Foundation

/// Reading `kind: "generate"` requests (docs/generation.md, "A request"), with the
/// conventions of `JobDecoder`: integral numbers may be written as `32.0`, `null` is the
/// same as an absent optional field, unknown fields are ignored.
extension JobDecoder {
    /// Seeds in [2^63, 2^64) reach the JSON parser as doubles; those it holds exactly
    /// (every integer below 2^53, and coarser ones above) are read as they are.
    static let seedLimit = 18_446_744_073_709_551_616.0

    /// Reads a generation request and runs every check that needs no model.
    public static func decodeGeneration(_ bytes: [UInt8], nowMs: Int64 = Date().unixMilliseconds) throws(JobError) -> GenerationJob {
        let envelope = try decodeEnvelope(bytes, nowMs: nowMs)
        func fail(_ code: JobErrorCode, _ message: String) -> JobError {
            JobError(code, message, jobID: envelope.id, replyTo: envelope.replyTo)
        }
        guard envelope.kind == .generate else {
            throw fail(.unknownKind, "a '\(envelope.kind.rawValue)' job is not a generation request")
        }
        let body = envelope.body
        /// The field, nil when absent or null.
        func field(_ key: String) -> JSONValue? {
            guard let value = body[key], value != .null else { return nil }
            return value
        }
        func name(_ key: String) throws(JobError) -> String? {
            guard let value = field(key) else { return nil }
            guard let text = value.stringValue else { throw fail(.malformedJSON, "'generate.\(key)' must be a model name, not \(value.typeName)") }
            return text
        }

        var mode: GenerationMode?
        if let value = field("mode") {
            guard let text = value.stringValue, let known = GenerationMode(rawValue: text) else {
                throw fail(.badMode, "'generate.mode' \(value.jsonText) is not one of plain, inra, dera")
            }
            mode = known
        }
        let model = try name("model")
        let ref = try name("ref")
        let aligned = try name("aligned")
        let models: GenerationJob.Models
        if ref != nil || aligned != nil {
            guard model == nil else { throw fail(.malformedJSON, "give 'generate.model' or 'generate.ref'/'aligned', not both") }
            guard let ref else { throw fail(.malformedJSON, "'generate.ref' is missing (dera needs 'ref' and 'aligned')") }
            guard let aligned else { throw fail(.malformedJSON, "'generate.aligned' is missing (dera needs 'ref' and 'aligned')") }
            if let mode, mode != .dera { throw fail(.badMode, "mode \(mode.rawValue) runs one 'model', not 'ref' and 'aligned'") }
            models = .pair(ref: ref, aligned: aligned)
            mode = .dera
        } else {
            guard let model else {
                throw fail(.malformedJSON, mode == .dera ? "'generate.ref' and 'generate.aligned' are missing (dera needs both)"
                                                         : "'generate.model' is missing")
            }
            if mode == .dera { throw fail(.malformedJSON, "mode dera needs 'ref' and 'aligned', not 'model'") }
            models = .single(model)
        }

        var alignedSystem: String?
        if let value = field("aligned_system") {
            guard let text = value.stringValue else { throw fail(.malformedJSON, "'generate.aligned_system' must be a string, not \(value.typeName)") }
            guard mode == .dera else { throw fail(.badMode, "'aligned_system' applies to mode dera only") }
            alignedSystem = text
        }

        let lambda = try readGenerationLambda(body, plain: mode == .plain, fail: fail)
        let input: GenerationJob.Input
        do {
            input = try readGenerationInput(body)
        } catch {
            throw fail(error.code, error.problem)
        }
        if alignedSystem != nil, !input.isMessages { throw fail(.badSequence, "'aligned_system' applies to 'messages' only") }

        func sampling(_ problem: String) -> JobError { fail(.badSampling, problem) }
        var maxTokens = GenerationJob.defaultMaxTokens
        if let value = field("max_tokens") {
            guard let count = value.integerValue, count >= 1 else { throw sampling("'max_tokens' \(value.jsonText) is not an integer >= 1") }
            maxTokens = Int(clamping: count)
        }
        var parameters = GenerationJob.defaultSampling(id: envelope.id)
        if let value = field("temperature") {
            guard let number = value.doubleValue, number.isFinite, number >= 0, Float(number).isFinite else {
                throw sampling("'temperature' \(value.jsonText) is not a number >= 0")
            }
            parameters.temperature = Float(number)
        }
        if let value = field("top_p") {
            guard let number = value.doubleValue, number > 0, number <= 1 else { throw sampling("'top_p' \(value.jsonText) is not a number in (0, 1]") }
            parameters.topP = number == 1 ? nil : Float(number)
        }
        if let value = field("top_k") {
            guard let count = value.integerValue, count >= 0 else { throw sampling("'top_k' \(value.jsonText) is not an integer >= 0") }
            parameters.topK = count == 0 ? nil : Int(clamping: count)
        }
        if let value = field("min_p") {
            guard let number = value.doubleValue, number >= 0, number <= 1 else { throw sampling("'min_p' \(value.jsonText) is not a number in [0, 1]") }
            parameters.minP = number == 0 ? nil : Float(number)
        }
        if let value = field("seed") {
            guard let seed = seedValue(value) else { throw sampling("'seed' \(value.jsonText) is not an integer in [0, 2^64)") }
            parameters.seed = seed
        }
        var stopStrings: [String] = []
        if let value = field("stop") {
            let elements = value.arrayValue ?? [value]
            guard elements.count <= GenerationJob.maxStopStrings else {
                throw sampling("'stop' has \(elements.count) strings, more than \(GenerationJob.maxStopStrings)")
            }
            for element in elements {
                guard let text = element.stringValue, !text.isEmpty else { throw sampling("'stop' holds \(element.jsonText), not a non-empty string") }
                stopStrings.append(text)
            }
        }
        var stopTokenIDs: [Int32] = []
        if let value = field("stop_token_ids") {
            guard let elements = value.arrayValue else { throw sampling("'stop_token_ids' must be a list of token ids, not \(value.typeName)") }
            for element in elements {
                guard let token = element.integerValue, let narrow = Int32(exactly: token), narrow >= 0 else {
                    throw sampling("'stop_token_ids' holds \(element.jsonText), not a token id")
                }
                stopTokenIDs.append(narrow)
            }
        }
        var stream = false
        if let value = field("stream") {
            guard case .bool(let flag) = value else { throw fail(.malformedJSON, "'generate.stream' must be a boolean, not \(value.typeName)") }
            stream = flag
        }
        return GenerationJob(
            id: envelope.id, replyTo: envelope.replyTo, deadlineMs: envelope.deadlineMs, models: models, mode: mode,
            alignedSystem: alignedSystem, lambda: lambda, input: input, maxTokens: maxTokens, sampling: parameters,
            stopStrings: stopStrings, stopTokenIDs: stopTokenIDs, stream: stream)
    }

    /// `lambda` or its alias `control`: one finite number in [-10, 10], not with `plain`.
    private static func readGenerationLambda(
        _ body: JSONValue, plain: Bool, fail: (JobErrorCode, String) -> JobError
    ) throws(JobError) -> Double? {
        let given = ["lambda", "control"].compactMap { key in body[key].flatMap { $0 == .null ? nil : (key, $0) } }
        guard let (key, value) = given.first else { return nil }
        guard given.count == 1 else { throw fail(.badLambda, "give the lambda once, not as both 'lambda' and 'control'") }
        guard let lambda = value.doubleValue, lambda.isFinite, TeacherJob.lambdaRange.contains(lambda) else {
            throw fail(.badLambda, "'generate.\(key)' \(value.jsonText) is not a number in [-10, 10]")
        }
        if plain { throw fail(.badLambda, "mode plain takes no lambda (it runs one model)") }
        return lambda == 0 ? 0 : lambda
    }

    /// Exactly one of `messages`, `prompt`, `input_ids`.
    private static func readGenerationInput(_ body: JSONValue) throws(SequenceProblem) -> GenerationJob.Input {
        let forms = ["messages", "prompt", "input_ids"].filter { body[$0] != nil && body[$0] != .null }
        guard forms.count == 1 else {
            throw SequenceProblem(code: .badSequence, problem: forms.isEmpty
                ? "gives none of 'messages', 'prompt', 'input_ids'"
                : "gives \(forms.map { "'\($0)'" }.joined(separator: " and ")); give exactly one")
        }
        let value = body[forms[0]]!
        switch forms[0] {
        case "messages":
            let messages = try readMessages(value)
            guard !messages.isEmpty else { throw SequenceProblem(code: .badSequence, problem: "'messages' is empty") }
            if let unknown = messages.first(where: { !SequenceInput.roles.contains($0.role) }) {
                throw SequenceProblem(code: .badSequence, problem: "role \"\(unknown.role)\" is not system, user or assistant")
            }
            return .messages(messages)
        case "prompt":
            guard let text = value.stringValue else { throw SequenceProblem(code: .badSequence, problem: "'prompt' must be a string, not \(value.typeName)") }
            guard !text.isEmpty else { throw SequenceProblem(code: .badSequence, problem: "'prompt' is empty") }
            return .prompt(text)
        default:
            guard let elements = value.arrayValue else {
                throw SequenceProblem(code: .badSequence, problem: "'input_ids' must be a list of token ids, not \(value.typeName)")
            }
            guard !elements.isEmpty else { throw SequenceProblem(code: .badSequence, problem: "'input_ids' is empty") }
            return .tokens(try tokenIDs(elements))
        }
    }

    private static func seedValue(_ value: JSONValue) -> UInt64? {
        switch value {
        case .integer(let number): return number >= 0 ? UInt64(number) : nil
        case .double(let number):
            guard number >= 0, number < seedLimit, number.rounded() == number else { return nil }
            return UInt64(number)
        default: return nil
        }
    }
}
