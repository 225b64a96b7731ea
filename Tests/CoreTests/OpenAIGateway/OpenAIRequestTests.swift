import Testing
@testable import Core

@Suite struct OpenAIRequestTests {
    static let models: Set<String> = ["smol", "smol-inra", "base"]

    static func parse(_ body: String, _ endpoint: OpenAIRequest.Endpoint = .chatCompletions) throws(OpenAIError) -> OpenAIRequest {
        try OpenAIRequest.parse(Array(body.utf8), endpoint: endpoint, servedModels: models)
    }

    static func error(_ body: String, _ endpoint: OpenAIRequest.Endpoint = .chatCompletions) -> OpenAIError? {
        do {
            _ = try parse(body, endpoint)
            return nil
        } catch {
            return error
        }
    }

    @Test func mapsAChatBodyToAGenerationRequest() throws {
        let request = try Self.parse(#"""
        {"model": "smol-inra", "messages": [{"role": "developer", "content": "Be brief."},
         {"role": "user", "content": [{"type": "text", "text": "Why is the sky "}, {"type": "text", "text": "blue?"}]}],
         "max_completion_tokens": 64, "max_tokens": 9, "temperature": 0.7, "top_p": 0.9, "seed": 7, "stop": "\n\n",
         "stream": true, "stream_options": {"include_usage": true}, "control": 0.5, "mode": "inra", "top_k": 40, "min_p": 0.05,
         "n": 1, "frequency_penalty": 0, "user": "someone"}
        """#)
        #expect(request.model == "smol-inra")
        #expect(request.includeUsageInStream)
        #expect(request.parameters == GenerateParameters(
            model: "smol-inra", mode: .inra, lambda: 0.5,
            input: .messages([ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Why is the sky blue?")]),
            maxTokens: 64, temperature: 0.7, topP: 0.9, topK: 40, minP: 0.05, seed: 7, stop: ["\n\n"], stream: true))
    }

    @Test func mapsCompletionPrompts() throws {
        let text = try Self.parse(#"{"model": "smol", "prompt": "2+2=", "max_tokens": 3, "lambda": 2, "stop": ["\n", "."]}"#, .completions)
        #expect(text.parameters == GenerateParameters(model: "smol", lambda: 2, input: .prompt("2+2="), maxTokens: 3, stop: ["\n", "."]))
        #expect(try Self.parse(#"{"model": "smol", "prompt": ["one"]}"#, .completions).parameters.input == .prompt("one"))
        #expect(try Self.parse(#"{"model": "smol", "prompt": [1, 2, 3]}"#, .completions).parameters.input == .tokens([1, 2, 3]))
        #expect(try Self.parse(#"{"model": "smol", "prompt": [[4, 5]]}"#, .completions).parameters.input == .tokens([4, 5]))
        let dera = try Self.parse(#"{"model": "preview", "ref": "base", "aligned": "smol", "aligned_system": "Be kind.", "prompt": "x", "control": 1.5}"#, .completions)
        #expect(dera.parameters.model == nil)
        #expect(dera.parameters.ref == "base")
        #expect(dera.parameters.aligned == "smol")
        #expect(dera.parameters.alignedSystem == "Be kind.")
        #expect(dera.model == "preview")
    }

    @Test func refusesBadValuesWithTheParamNamed() {
        let chat = #""messages": [{"role": "user", "content": "hi"}]"#
        func param(_ fields: String, _ endpoint: OpenAIRequest.Endpoint = .chatCompletions) -> (Int, String?)? {
            let body = endpoint == .chatCompletions ? "{\"model\": \"smol\", \(chat)\(fields)}" : "{\"model\": \"smol\", \"prompt\": \"p\"\(fields)}"
            return Self.error(body, endpoint).map { ($0.status, $0.param) }
        }
        #expect(param("") == nil)
        #expect(param(#", "temperature": -1"#)! == (400, "temperature"))
        #expect(param(#", "temperature": "hot""#)! == (400, "temperature"))
        #expect(param(#", "top_p": 1.5"#)! == (400, "top_p"))
        #expect(param(#", "max_tokens": 0"#)! == (400, "max_tokens"))
        #expect(param(#", "max_completion_tokens": 0"#)! == (400, "max_completion_tokens"))
        #expect(param(#", "control": 11"#)! == (400, "control"))
        #expect(param(#", "lambda": 11"#)! == (400, "lambda"))
        #expect(param(#", "lambda": 1, "control": 1"#)! == (400, "control"))
        #expect(param(#", "mode": "fast""#)! == (400, "mode"))
        #expect(param(#", "mode": "plain", "control": 0.5"#)! == (400, "control"))
        #expect(param(#", "mode": "dera""#)! == (400, "mode"))
        #expect(param(#", "seed": -3"#)! == (400, "seed"))
        #expect(param(#", "stop": 5"#)! == (400, "stop"))
        #expect(param(#", "n": 2"#)! == (400, "n"))
        #expect(param(#", "logprobs": true"#)! == (400, "logprobs"))
        #expect(param(#", "stream": "yes""#)! == (400, "stream"))
        #expect(param(#", "echo": true"#, .completions)! == (400, "echo"))
        #expect(Self.error(#"{"model": "smol", "messages": []}"#)?.param == "messages")
        #expect(Self.error(#"{"model": "smol", "messages": [{"role": "tool", "content": "x"}]}"#)?.param == "messages[0].role")
        #expect(Self.error(#"{"model": "smol", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#)?.param == "messages[0].content")
        #expect(Self.error(#"{"model": "smol", "prompt": ["a", "b"]}"#, .completions)?.param == "prompt")
        #expect(Self.error(#"{"messages": []}"#)?.param == "model")
        #expect(Self.error("{not json")?.status == 400)
        #expect(Self.error("[1]")?.status == 400)
    }

    @Test func anUnknownModelIsNotFound() {
        let error = Self.error(#"{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}"#)
        #expect(error == OpenAIError(status: 404, message: "The model `gpt-4` does not exist.", type: "invalid_request_error",
                                     param: "model", code: "model_not_found"))
        #expect(error?.jsonValue.jsonText == #"{"error":{"message":"The model `gpt-4` does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#)
        #expect(Self.error(#"{"model": "x", "ref": "base", "aligned": "other", "prompt": "p"}"#, .completions)?.message == "The model `other` does not exist.")
    }

    @Test func workerAndFleetErrorsGetTheirStatuses() {
        func status(_ code: String) -> Int { OpenAIError(GenerateReply.Failure(id: "x", code: code, message: "m")).status }
        #expect(status("unknown_model") == 404)
        for code in ["bad_lambda", "bad_sampling", "bad_mode", "too_long", "malformed_json", "token_out_of_range", "tokenizer_mismatch"] {
            #expect(status(code) == 400, "\(code)")
        }
        #expect(status("internal") == 500)
        #expect(status("some_new_code") == 500)
        #expect(OpenAIError(GenerationClientError.unavailable("every worker exited")).status == 503)
        #expect(OpenAIError(GenerationClientError.noReply(id: "x", submissions: 3, secondsEach: 120)).status == 503)
        #expect(OpenAIError.http(status: 413, message: "too big").type == "invalid_request_error")
        #expect(OpenAIError.http(status: 503, message: "busy").type == "server_error")
    }
}
