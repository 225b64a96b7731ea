/// A `/v1/completions` or `/v1/chat/completions` body read into a generation request.
///
/// Read: `model`, `messages` (chat; content a string or text parts) or `prompt`
/// (completions; a string or token ids, one prompt), `max_tokens` /
/// `max_completion_tokens`, `temperature`, `top_p`, `seed`, `stop`, `stream`,
/// `stream_options.include_usage`, and realign's own `control` (alias `lambda`), `mode`,
/// `top_k`, `min_p`, `ref` / `aligned` / `aligned_system` (dera). Refused: `n` other than
/// 1, `logprobs`, `echo`, `best_of` above 1, `tools` - what the gateway cannot honour.
/// Any other field is ignored.
public struct OpenAIRequest: Sendable, Equatable {
    public enum Endpoint: String, Sendable, Equatable {
        case completions = "/v1/completions"
        case chatCompletions = "/v1/chat/completions"
    }

    public var endpoint: Endpoint
    /// The `model` field, echoed in the response.
    public var model: String
    public var parameters: GenerateParameters
    public var includeUsageInStream: Bool

    /// - Parameter servedModels: the names a request may use; another is a 404.
    public static func parse(_ body: [UInt8], endpoint: Endpoint, servedModels: Set<String>) throws(OpenAIError) -> OpenAIRequest {
        let root: JSONValue
        do {
            root = try JSONParser.parse(body)
        } catch {
            throw .invalidRequest("We could not parse the JSON body of your request: \(error.description)")
        }
        guard case .object = root else { throw .invalidRequest("The request body must be a JSON object, not \(root.typeName).") }
        let fields = Fields(root: root)

        guard let model = try fields.string("model") else { throw .invalidRequest("you must provide a model parameter", param: "model") }
        var parameters = GenerateParameters(input: .prompt(""))
        if let ref = try fields.string("ref") { parameters.ref = ref }
        if let aligned = try fields.string("aligned") { parameters.aligned = aligned }
        parameters.alignedSystem = try fields.string("aligned_system")
        if parameters.ref == nil && parameters.aligned == nil { parameters.model = model }
        for name in [parameters.model, parameters.ref, parameters.aligned].compactMap({ $0 }) where !servedModels.contains(name) {
            throw .modelNotFound(name)
        }
        if let modeName = try fields.string("mode") {
            guard let mode = GenerationMode(rawValue: modeName) else {
                throw .invalidRequest("'mode' \"\(modeName)\" is not one of plain, inra, dera", param: "mode")
            }
            parameters.mode = mode
        }
        let lambdaKeys = ["control", "lambda"].filter { root[$0] != nil && root[$0] != .null }
        if lambdaKeys.count > 1 { throw .invalidRequest("give 'control' or its alias 'lambda', not both", param: "control") }
        let lambdaKey = lambdaKeys.first ?? "control"
        parameters.lambda = try fields.number(lambdaKey)

        switch endpoint {
        case .chatCompletions: parameters.input = .messages(try fields.messages())
        case .completions: parameters.input = try fields.prompt()
        }
        let maxTokens = try fields.integer("max_tokens")
        parameters.maxTokens = try fields.integer("max_completion_tokens") ?? maxTokens
        parameters.temperature = try fields.number("temperature")
        parameters.topP = try fields.number("top_p")
        parameters.topK = try fields.integer("top_k")
        parameters.minP = try fields.number("min_p")
        if let seed = try fields.integer("seed") {
            guard seed >= 0 else { throw .invalidRequest("'seed' must not be negative", param: "seed") }
            parameters.seed = UInt64(seed)
        }
        parameters.stop = try fields.stop()
        parameters.stream = try fields.bool("stream") ?? false
        let includeUsage = try Fields(root: root["stream_options"] ?? .object([])).bool("include_usage") ?? false
        try fields.refuseUnsupported(endpoint)
        if let problem = parameters.problem {
            let param = problem.field == "lambda" ? lambdaKey : problem.field == "max_tokens" && root["max_completion_tokens"] != nil ? "max_completion_tokens" : problem.field
            throw .invalidRequest("'\(param)': \(problem.message)", param: param)
        }
        return OpenAIRequest(endpoint: endpoint, model: model, parameters: parameters, includeUsageInStream: includeUsage)
    }

    /// Typed reads of a body's fields; a value of the wrong type is a 400 naming it.
    /// JSON `null` reads as absent, as OpenAI's API treats it.
    private struct Fields {
        let root: JSONValue

        func value(_ key: String) -> JSONValue? {
            guard let value = root[key], value != .null else { return nil }
            return value
        }

        func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> OpenAIError {
            .invalidRequest("'\(key)' must be \(expected), not \(value.typeName)", param: key)
        }

        func string(_ key: String) throws(OpenAIError) -> String? {
            guard let value = value(key) else { return nil }
            guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
            return text
        }

        func number(_ key: String) throws(OpenAIError) -> Double? {
            guard let value = value(key) else { return nil }
            guard let number = value.doubleValue else { throw wrongType(key, "a number", value) }
            return number
        }

        func integer(_ key: String) throws(OpenAIError) -> Int? {
            guard let value = value(key) else { return nil }
            guard let number = value.integerValue else { throw wrongType(key, "an integer", value) }
            return Int(number)
        }

        func bool(_ key: String) throws(OpenAIError) -> Bool? {
            guard let value = value(key) else { return nil }
            guard case .bool(let flag) = value else { throw wrongType(key, "a boolean", value) }
            return flag
        }

        func messages() throws(OpenAIError) -> [ChatMessage] {
            guard let value = value("messages") else { throw .invalidRequest("'messages' is required", param: "messages") }
            guard let elements = value.arrayValue else { throw wrongType("messages", "an array", value) }
            guard !elements.isEmpty else { throw .invalidRequest("'messages' must not be empty", param: "messages") }
            var messages: [ChatMessage] = []
            for (index, element) in elements.enumerated() {
                let param = "messages[\(index)]"
                guard let role = element["role"]?.stringValue else { throw .invalidRequest("\(param) needs a string 'role'", param: param + ".role") }
                // OpenAI's newer name of the system role.
                let mapped = role == "developer" ? "system" : role
                guard SequenceInput.roles.contains(mapped) else {
                    throw .invalidRequest("\(param): role \"\(role)\" is not system, developer, user or assistant", param: param + ".role")
                }
                let content: String
                switch element["content"] {
                case .string(let text)?: content = text
                case .null?, nil: content = ""
                case .array(let parts)?:
                    var text = ""
                    for part in parts {
                        guard part["type"]?.stringValue == "text", let piece = part["text"]?.stringValue else {
                            throw .invalidRequest("\(param): only text content parts are supported", param: param + ".content")
                        }
                        text += piece
                    }
                    content = text
                case let other?:
                    throw wrongType(param + ".content", "a string or an array of text parts", other)
                }
                messages.append(ChatMessage(role: mapped, content: content))
            }
            return messages
        }

        func prompt() throws(OpenAIError) -> GenerateParameters.Input {
            guard let value = value("prompt") else { throw .invalidRequest("'prompt' is required", param: "prompt") }
            func tokens(_ elements: [JSONValue]) throws(OpenAIError) -> GenerateParameters.Input {
                var ids: [Int32] = []
                for element in elements {
                    guard let id = element.integerValue.flatMap({ Int32(exactly: $0) }), id >= 0 else {
                        throw .invalidRequest("'prompt' token ids must be non-negative integers, not \(element.jsonText)", param: "prompt")
                    }
                    ids.append(id)
                }
                return .tokens(ids)
            }
            switch value {
            case .string(let text): return .prompt(text)
            case .array(let elements):
                if elements.isEmpty { throw .invalidRequest("'prompt' must not be empty", param: "prompt") }
                if case .array(let inner) = elements[0] {
                    guard elements.count == 1 else { throw .invalidRequest("one prompt per request", param: "prompt") }
                    return try tokens(inner)
                }
                if case .string(let text) = elements[0] {
                    guard elements.count == 1 else { throw .invalidRequest("one prompt per request", param: "prompt") }
                    return .prompt(text)
                }
                return try tokens(elements)
            default:
                throw wrongType("prompt", "a string or an array of token ids", value)
            }
        }

        func stop() throws(OpenAIError) -> [String] {
            guard let value = value("stop") else { return [] }
            if let text = value.stringValue { return [text] }
            guard let elements = value.arrayValue else { throw wrongType("stop", "a string or an array of strings", value) }
            var strings: [String] = []
            for element in elements {
                guard let text = element.stringValue else { throw wrongType("stop", "a string or an array of strings", value) }
                strings.append(text)
            }
            return strings
        }

        func refuseUnsupported(_ endpoint: Endpoint) throws(OpenAIError) {
            if let n = try integer("n"), n != 1 { throw .invalidRequest("only n = 1 is supported", param: "n") }
            if let bestOf = try integer("best_of"), bestOf > 1 { throw .invalidRequest("best_of is not supported", param: "best_of") }
            if try bool("echo") == true { throw .invalidRequest("echo is not supported", param: "echo") }
            switch value("logprobs") {
            case nil, .bool(false)?, .integer(0)?: break
            default: throw .invalidRequest("logprobs are not supported", param: "logprobs")
            }
            if let tools = value("tools"), tools != .array([]) { throw .invalidRequest("tools are not supported", param: "tools") }
        }
    }
}
