/// A generation request made ready for a decode session on the models a worker serves:
/// the mode settled, the prompt rendered and tokenized, every check that needs the
/// models done (names, adapter, tokenizers, token ids, prompt length).
public struct PreparedGeneration: Sendable {
    /// Requests with the same key share one decode session.
    public struct BatchKey: Hashable, Sendable, CustomStringConvertible {
        public var mode: GenerationMode
        public var models: [String]

        public var description: String { "\(mode.rawValue) \(models.joined(separator: "+"))" }
    }

    public var key: BatchKey
    public var decodingModel: DecodingModel
    public var tokenizer: Tokenizer
    public var request: GenerationRequest
    public var mode: GenerationMode
    /// The lambda the request runs with; nil for `plain`.
    public var lambda: Double?

    public static func prepare(_ job: GenerationJob, models: [String: ServedModel]) throws(JobError) -> PreparedGeneration {
        func fail(_ code: JobErrorCode, _ message: String) -> JobError {
            JobError(code, message, jobID: job.id, replyTo: job.replyTo)
        }
        func model(_ name: String) throws(JobError) -> ServedModel {
            guard let model = models[name] else {
                let served = models.keys.sorted().joined(separator: ", ")
                throw fail(.unknownModel, "model \"\(name)\" is not served by this worker (it serves: \(served))")
            }
            return model
        }
        let mode: GenerationMode
        let decodingModel: DecodingModel
        let reference: ServedModel
        let aligned: ServedModel
        switch job.models {
        case .single(let name):
            reference = try model(name)
            aligned = reference
            mode = job.mode ?? (reference.hasAdapter ? .inra : .plain)
            if mode == .inra {
                guard let inra = reference.inraDecodingModel else {
                    throw fail(.badMode, "mode inra needs a model with an adapter; \(name) has none (serve it with --adapter or as an expanded directory)")
                }
                decodingModel = inra
            } else {
                if job.lambda != nil {
                    throw fail(.badLambda, "model \(name) has no adapter, so the request runs in mode plain, which takes no lambda")
                }
                decodingModel = reference.plainDecodingModel
            }
        case .pair(let refName, let alignedName):
            reference = try model(refName)
            aligned = try model(alignedName)
            guard reference.tokenizer.contentSHA256 == aligned.tokenizer.contentSHA256 else {
                throw fail(.tokenizerMismatch, "models \(refName) and \(alignedName) have different tokenizers (\(reference.tokenizer.contentSHA256.prefix(12)) vs \(aligned.tokenizer.contentSHA256.prefix(12)))")
            }
            mode = .dera
            decodingModel = ServedModel.deraDecodingModel(reference: reference, aligned: aligned)
        }

        let promptIDs = try promptTokens(job, model: reference, systemOverride: nil)
        var alignedPromptIDs: [Int32]?
        if mode == .dera, case .messages = job.input {
            let ids = try promptTokens(job, model: aligned, systemOverride: job.alignedSystem)
            if ids != promptIDs { alignedPromptIDs = ids }
        }
        let vocabulary = decodingModel.vocabularySize
        let positions = decodingModel.maxPositions
        for ids in [promptIDs, alignedPromptIDs ?? promptIDs] {
            if let bad = ids.first(where: { Int($0) >= vocabulary }) {
                throw fail(.tokenOutOfRange, "token id \(bad) is not in [0, \(vocabulary))")
            }
            guard ids.count < positions else {
                throw fail(.tooLong, "the prompt has \(ids.count) tokens; the context holds \(positions) positions, with room for at least one generated token")
            }
        }
        var stops = reference.stopTokenIDs
        for id in aligned.stopTokenIDs + job.stopTokenIDs where !stops.contains(id) { stops.append(id) }
        let lambda = mode == .plain ? nil : job.effectiveLambda
        let request = GenerationRequest(
            id: job.id, promptIds: promptIDs, alignedPromptIds: alignedPromptIDs, lambda: Float(lambda ?? 1),
            sampling: job.sampling, maxTokens: job.maxTokens, stopTokenIds: stops, stopStrings: job.stopStrings)
        let names = reference === aligned && mode != .dera ? [reference.name] : [reference.name, aligned.name]
        return PreparedGeneration(key: BatchKey(mode: mode, models: names), decodingModel: decodingModel,
                                  tokenizer: reference.tokenizer, request: request, mode: mode, lambda: lambda)
    }

    private static func promptTokens(_ job: GenerationJob, model: ServedModel, systemOverride: String?) throws(JobError) -> [Int32] {
        let ids: [Int32]
        switch job.input {
        case .tokens(let given):
            ids = given
        case .prompt(let text):
            ids = model.tokenizer.encode(text, addBOS: model.tokenizer.spec.addBOS)
        case .messages(let messages):
            do {
                ids = try SequenceRenderer(model: model).renderPrompt(messages, systemOverride: systemOverride)
            } catch {
                throw JobError(error.code, error.problem, jobID: job.id, replyTo: job.replyTo)
            }
        }
        guard !ids.isEmpty else { throw JobError(.badSequence, "the prompt has no tokens", jobID: job.id, replyTo: job.replyTo) }
        return ids
    }
}
