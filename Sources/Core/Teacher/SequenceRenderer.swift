/// Turns a job's sequence into token ids with a model's own chat template.
///
/// The prompt is every message but the last, rendered with the generation prompt
/// (`<|im_start|>assistant\n` for SmolLM2); the response is the assistant's content
/// followed by the model's end-of-turn token. Prompt and response are tokenized
/// separately, so the response tokens are the same in every view whatever the prompt.
/// `systemOverride` gives the aligned view of ARCHITECTURE.md: it replaces the
/// sequence's own system message, or is inserted where the template would put its
/// default one.
public struct SequenceRenderer: Sendable {
    public let model: ServedModel

    public init(model: ServedModel) {
        self.model = model
    }

    public func render(_ sequence: SequenceInput, systemOverride: String?) throws(SequenceProblem) -> RenderedSequence {
        let messages: [ChatMessage]
        switch sequence {
        case .tokens(_, let inputIDs, let promptLen):
            return RenderedSequence(ids: inputIDs, promptLength: promptLen)
        case .messages(_, let given):
            messages = given
        case .promptResponse(_, let prompt, let response):
            messages = [ChatMessage(role: "user", content: prompt), ChatMessage(role: "assistant", content: response)]
        }
        guard let response = messages.last, response.role == "assistant" else {
            throw SequenceProblem(code: .badSequence, problem: "the last message must be the assistant's")
        }
        let promptIDs = try renderPrompt(Array(messages.dropLast()), systemOverride: systemOverride)
        let responseIDs = model.tokenizer.encode(response.content) + [model.endOfTurnTokenID]
        return RenderedSequence(ids: promptIDs + responseIDs, promptLength: promptIDs.count)
    }

    /// The prompt of a conversation the model is to continue: `messages` rendered with
    /// the generation prompt, `systemOverride` (if any) as its system message.
    public func renderPrompt(_ messages: [ChatMessage], systemOverride: String?) throws(SequenceProblem) -> [Int32] {
        var promptMessages = messages
        if let systemOverride {
            if promptMessages.first?.role == "system" {
                promptMessages[0].content = systemOverride
            } else {
                promptMessages.insert(ChatMessage(role: "system", content: systemOverride), at: 0)
            }
        }
        return try tokenize(prompt: promptMessages)
    }

    private func tokenize(prompt messages: [ChatMessage]) throws(SequenceProblem) -> [Int32] {
        guard let template = model.chatTemplate else {
            throw SequenceProblem(code: .badSequence, problem: "model \(model.name) has no chat template; give pre-tokenized input_ids")
        }
        let text: String
        do {
            text = try template.render(messages: messages, addGenerationPrompt: true, variables: templateVariables)
        } catch {
            throw SequenceProblem(code: .badSequence, problem: "chat template of \(model.name): \(error)")
        }
        let ids = model.tokenizer.encode(text, addBOS: model.tokenizer.spec.addBOS && !text.hasPrefix(bosText ?? "\u{0}"))
        guard !ids.isEmpty else { throw SequenceProblem(code: .badSequence, problem: "the prompt renders to no tokens") }
        return ids
    }

    private var bosText: String? {
        model.tokenizer.spec.bosTokenId.flatMap { model.tokenizer.token(of: $0) }
    }

    private var templateVariables: [String: TemplateValue] {
        var variables: [String: TemplateValue] = [:]
        let spec = model.tokenizer.spec
        if let bos = spec.bosTokenId.flatMap(model.tokenizer.token(of:)) { variables["bos_token"] = .string(bos) }
        if let eos = spec.eosTokenId.flatMap(model.tokenizer.token(of:)) { variables["eos_token"] = .string(eos) }
        return variables
    }
}
