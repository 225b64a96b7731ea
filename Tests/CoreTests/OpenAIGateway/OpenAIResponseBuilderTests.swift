import Testing
@testable import Core

@Suite struct OpenAIResponseBuilderTests {
    static let final = GenerateReply.Final(id: "gw/000003", attempt: "w-1", seq: 2, text: "Blue light.", tokenIDs: [10, 11, 2],
                                           finishReason: "stop", model: "smol", mode: "inra", lambda: 0.5,
                                           usage: .init(promptTokens: 31, completionTokens: 3))

    @Test func aChatCompletion() {
        let builder = OpenAIResponseBuilder(endpoint: .chatCompletions, requestID: "gw/000003", model: "smol", created: 1700000000)
        #expect(builder.completion(Self.final).jsonText == #"{"id":"chatcmpl-gw-000003","object":"chat.completion","created":1700000000,"model":"smol","choices":[{"index":0,"message":{"role":"assistant","content":"Blue light."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":3,"total_tokens":34},"realign":{"mode":"inra","lambda":0.5}}"#)
    }

    @Test func aTextCompletion() {
        let builder = OpenAIResponseBuilder(endpoint: .completions, requestID: "gw/000003", model: "smol", created: 5)
        #expect(builder.completion(Self.final).jsonText == #"{"id":"cmpl-gw-000003","object":"text_completion","created":5,"model":"smol","choices":[{"index":0,"text":"Blue light.","logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":3,"total_tokens":34},"realign":{"mode":"inra","lambda":0.5}}"#)
    }

    @Test func chatStreamChunksAsServerSentEvents() {
        let builder = OpenAIResponseBuilder(endpoint: .chatCompletions, requestID: "gw/7", model: "smol", created: 5)
        let head = #"{"id":"chatcmpl-gw-7","object":"chat.completion.chunk","created":5,"model":"smol","choices":"#
        #expect(builder.chunk(text: "", role: true).jsonText == head + #"[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#)
        #expect(builder.chunk(text: "Blue").jsonText == head + #"[{"index":0,"delta":{"content":"Blue"},"logprobs":null,"finish_reason":null}]}"#)
        #expect(builder.chunk(text: "", finishReason: "length").jsonText == head + #"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}"#)
        #expect(builder.usageChunk(Self.final).jsonText == head + #"[],"usage":{"prompt_tokens":31,"completion_tokens":3,"total_tokens":34},"realign":{"mode":"inra","lambda":0.5}}"#)
        #expect(String(decoding: OpenAIResponseBuilder.event(.object([JSONMember("a", .integer(1))])), as: UTF8.self) == "data: {\"a\":1}\n\n")
        #expect(String(decoding: OpenAIResponseBuilder.done, as: UTF8.self) == "data: [DONE]\n\n")
    }

    @Test func completionStreamChunks() {
        let builder = OpenAIResponseBuilder(endpoint: .completions, requestID: "gw/7", model: "smol", created: 5)
        #expect(builder.chunk(text: " 4").jsonText == #"{"id":"cmpl-gw-7","object":"text_completion","created":5,"model":"smol","choices":[{"index":0,"text":" 4","logprobs":null,"finish_reason":null}]}"#)
    }
}
