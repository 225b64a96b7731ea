/// A Hugging Face chat template (the Jinja subset chat templates use), parsed once and
/// rendered for any conversation.
public struct ChatTemplate: Sendable {
    private let nodes: [TemplateNode]

    /// Parses `source`; syntax errors and unsupported statements are reported here.
    public init(source: String) throws(TemplateError) {
        nodes = try TemplateParser.parse(try TemplateLexer.tokenize(source))
    }

    /// The prompt text for `messages` (each a dict with `role` and `content`), with
    /// `add_generation_prompt` set, plus `variables` (e.g. `bos_token`, `eos_token`,
    /// `tools`); a variable named `messages` or `add_generation_prompt` is overridden.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, variables: [String: TemplateValue] = [:]) throws(TemplateError) -> String {
        var globals = variables.mapValues(TemplateRuntimeValue.init)
        globals["messages"] = .list(messages.map { message in
            var dictionary = TemplateDictionary()
            dictionary["role"] = .string(message.role)
            dictionary["content"] = .string(message.content)
            return .dictionary(dictionary)
        })
        globals["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try TemplateRenderer(globals: globals).render(nodes)
    }
}
