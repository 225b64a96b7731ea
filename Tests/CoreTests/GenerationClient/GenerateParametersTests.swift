import Testing
@testable import Core

@Suite struct GenerateParametersTests {
    @Test func writesTheRequestOfTheContract() {
        let parameters = GenerateParameters(
            model: "smol-inra", mode: .inra, lambda: 0.5, input: .messages([ChatMessage(role: "user", content: "Why is the sky blue?")]),
            maxTokens: 128, temperature: 0.7, topP: 0.9, seed: 7, stop: ["\n\n"], stream: true)
        let text = String(decoding: parameters.requestBytes(id: "gw7/000042", replyTo: "realign.replies.gw7"), as: UTF8.self)
        #expect(text == #"{"schema":1,"id":"gw7/000042","kind":"generate","reply_to":"realign.replies.gw7","deadline_ms":0,"generate":{"model":"smol-inra","mode":"inra","lambda":0.5,"messages":[{"role":"user","content":"Why is the sky blue?"}],"max_tokens":128,"temperature":0.7,"top_p":0.9,"seed":7,"stop":["\n\n"],"stream":true}}"#)
    }

    @Test func leavesUnsetFieldsToTheWorker() {
        let dera = GenerateParameters(ref: "base", aligned: "chat", alignedSystem: "Be brief.", input: .prompt("2+2="), topK: 4, minP: 0.1,
                                      stopTokenIDs: [2])
        #expect(dera.jsonValue.jsonText == #"{"ref":"base","aligned":"chat","aligned_system":"Be brief.","prompt":"2+2=","top_k":4,"min_p":0.1,"stop_token_ids":[2],"stream":false}"#)
        #expect(dera.effectiveMode == .dera)
        #expect(dera.problem == nil)
        #expect(GenerateParameters(model: "m", input: .tokens([1, 2])).jsonValue.jsonText == #"{"model":"m","input_ids":[1,2],"stream":false}"#)
    }

    @Test func namesTheFieldOfEveryRefusedValue() {
        func field(_ change: (inout GenerateParameters) -> Void) -> String? {
            var parameters = GenerateParameters(model: "m", input: .prompt("x"))
            change(&parameters)
            return parameters.problem?.field
        }
        #expect(field { _ in } == nil)
        #expect(field { $0.model = nil } == "model")
        #expect(field { $0.lambda = 10.5 } == "lambda")
        #expect(field { $0.lambda = -10 } == nil)
        #expect(field { $0.mode = .plain; $0.lambda = 0.5 } == "lambda")
        #expect(field { $0.mode = .dera } == "mode")
        #expect(field { $0.maxTokens = 0 } == "max_tokens")
        #expect(field { $0.temperature = -0.1 } == "temperature")
        #expect(field { $0.temperature = 0 } == nil)
        #expect(field { $0.topP = 0 } == "top_p")
        #expect(field { $0.topP = 1 } == nil)
        #expect(field { $0.topK = -1 } == "top_k")
        #expect(field { $0.minP = 1.5 } == "min_p")
        #expect(field { $0.seed = UInt64(Int64.max) + 1 } == "seed")
        #expect(field { $0.stop = Array(repeating: "s", count: 17) } == "stop")
        #expect(field { $0.input = .messages([]) } == "messages")
        #expect(field { $0.input = .tokens([-1]) } == "input_ids")
    }

    @Test func readsEveryReplyKind() throws {
        let chunk = try GenerateReply.decode(Array(#"{"id": "gw7/000042", "attempt": "w-3f2a9c01", "seq": 0, "text": "The sky", "token_ids": [504, 6594, 314, 2606], "done": false}"#.utf8))
        #expect(chunk == .chunk(.init(id: "gw7/000042", attempt: "w-3f2a9c01", seq: 0, text: "The sky", tokenIDs: [504, 6594, 314, 2606])))
        let final = try GenerateReply.decode(Array(#"{"id": "gw7/000042", "attempt": "w-3f2a9c01", "seq": 5, "done": true, "text": "The sky is blue.", "token_ids": [504, 6594], "finish_reason": "stop", "model": "smol-inra", "mode": "inra", "lambda": 0.5, "usage": {"prompt_tokens": 31, "completion_tokens": 18, "total_tokens": 49}}"#.utf8))
        #expect(final == .final(.init(id: "gw7/000042", attempt: "w-3f2a9c01", seq: 5, text: "The sky is blue.", tokenIDs: [504, 6594],
                                      finishReason: "stop", model: "smol-inra", mode: "inra", lambda: 0.5,
                                      usage: .init(promptTokens: 31, completionTokens: 18))))
        let error = try GenerateReply.decode(Array(#"{"id": "gw7/1", "error": {"code": "bad_sampling", "message": "top_p 0 must be in (0, 1]"}}"#.utf8), isError: true)
        #expect(error == .failure(.init(id: "gw7/1", code: "bad_sampling", message: "top_p 0 must be in (0, 1]")))
        #expect(throws: GenerateReply.DecodingError.self) { try GenerateReply.decode(Array(#"{"id": "x", "done": true, "seq": 0}"#.utf8)) }
        #expect(throws: GenerateReply.DecodingError.self) { try GenerateReply.decode(Array(#"{"id": "x", "seq": -1}"#.utf8)) }
    }
}
