import Foundation
import Testing
@testable import Core

@Suite struct JobDecoderTests {
    static let architectureExample = """
    {"schema": 1, "id": "run42/000017", "kind": "teacher", "reply_to": "realign.replies.run42",
     "deadline_ms": 0,
     "teacher": {"ref": "smol", "aligned": "smol", "aligned_system": "Answer in one sentence.",
                 "lambdas": [0.5, 2.0], "top_k": 32,
                 "sequences": [{"id": "17", "messages": [{"role": "user", "content": "Hi"},
                                                         {"role": "assistant", "content": "Hello!"}]},
                               {"id": "18", "prompt": "2+2?", "response": "4."}]}}
    """

    static func decode(_ text: String, nowMs: Int64 = 1_000) throws(JobError) -> TeacherJob {
        try JobDecoder.decode(Array(text.utf8), nowMs: nowMs)
    }

    /// A job with the given teacher body members (JSON text) and envelope members.
    static func job(teacher: String = #""ref": "a", "aligned": "b", "lambdas": [1.0], "top_k": 4, "sequences": [{"id": "s", "prompt": "p", "response": "r"}]"#,
                    envelope: String = #""schema": 1, "id": "j1", "kind": "teacher", "reply_to": "replies""#) -> String {
        "{\(envelope), \"teacher\": {\(teacher)}}"
    }

    static func expectError(_ code: JobErrorCode, _ text: String, jobID: String? = "j1", replyTo: String? = "replies",
                            nowMs: Int64 = 1_000, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let job = try decode(text, nowMs: nowMs)
            Issue.record("expected \(code.rawValue), decoded \(job)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.jobID == jobID, sourceLocation: sourceLocation)
            #expect(error.replyTo == replyTo, sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        }
    }

    @Test func decodesTheArchitectureExample() throws {
        let job = try Self.decode(Self.architectureExample)
        #expect(job == TeacherJob(
            id: "run42/000017", replyTo: "realign.replies.run42", deadlineMs: 0, ref: "smol", aligned: "smol",
            alignedSystem: "Answer in one sentence.", lambdas: [0.5, 2.0], topK: 32,
            sequences: [
                .messages(id: "17", [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello!")]),
                .promptResponse(id: "18", prompt: "2+2?", response: "4."),
            ]))
        #expect(job.lambdaTags == ["0.5", "2.0"])
    }

    @Test func encodesTheDocumentedJSONAndReadsItBack() throws {
        let job = try Self.decode(Self.architectureExample)
        let expected = #"{"schema":1,"id":"run42/000017","kind":"teacher","reply_to":"realign.replies.run42","deadline_ms":0,"#
            + #""teacher":{"ref":"smol","aligned":"smol","aligned_system":"Answer in one sentence.","lambdas":[0.5,2.0],"top_k":32,"#
            + #""sequences":[{"id":"17","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]},"#
            + #"{"id":"18","prompt":"2+2?","response":"4."}]}}"#
        #expect(String(decoding: job.jsonBytes(), as: UTF8.self) == expected)
        let tokens = TeacherJob(id: "t", replyTo: "r", deadlineMs: 5_000, ref: "a", aligned: "b", lambdas: [-0.25], topK: 1,
                                sequences: [.tokens(id: "0", inputIDs: [1, 2, 3], promptLen: 2)])
        #expect(try Self.decode(String(decoding: tokens.jsonBytes(), as: UTF8.self)) == tokens)
    }

    @Test func numbersIntegersAndAliases() throws {
        #expect(try Self.decode(Self.job(teacher: #""ref": "a", "aligned": "b", "lambdas": [0.5, 2], "top_k": 32.0, "sequences": [{"id": 7, "input_ids": [5, 6.0, 7], "prompt_len": 1}]"#))
                == TeacherJob(id: "j1", replyTo: "replies", ref: "a", aligned: "b", lambdas: [0.5, 2.0], topK: 32,
                              sequences: [.tokens(id: "7", inputIDs: [5, 6, 7], promptLen: 1)]))
        let single = #""ref": "a", "aligned": "b", "top_k": 4, "sequences": [{"id": "s", "prompt": "p", "response": "r"}]"#
        #expect(try Self.decode(Self.job(teacher: single + #", "lambda": 2"#)).lambdas == [2.0])
        #expect(try Self.decode(Self.job(teacher: single + #", "control": -1.5"#)).lambdas == [-1.5])
        #expect(try Self.decode(Self.job(teacher: single + #", "lambdas": -0.0"#)).lambdaTags == ["0.0"])
        let numericID = try Self.decode(Self.job(envelope: #""schema": 1, "id": 42, "kind": "teacher", "reply_to": "replies", "deadline_ms": 5000"#))
        #expect(numericID.id == "42")
        #expect(numericID.deadlineMs == 5_000)
    }

    @Test func envelopeErrors() {
        Self.expectError(.malformedJSON, "{\"schema\": 1,", jobID: nil, replyTo: nil)
        Self.expectError(.malformedJSON, "[1, 2]", jobID: nil, replyTo: nil)
        Self.expectError(.malformedJSON, Self.job(envelope: #""schema": 1, "kind": "teacher", "reply_to": "replies""#), jobID: nil)
        Self.expectError(.malformedJSON, Self.job(envelope: #""schema": 1, "id": 1.5, "kind": "teacher", "reply_to": "replies""#), jobID: nil)
        Self.expectError(.malformedJSON, Self.job(envelope: #""schema": 1, "id": "", "kind": "teacher", "reply_to": "replies""#), jobID: "")
        Self.expectError(.malformedJSON, Self.job(envelope: #""schema": 1, "id": "j1", "kind": "teacher", "reply_to": "replies", "deadline_ms": "soon""#))
        Self.expectError(.malformedJSON, #"{"schema": 1, "id": "j1", "kind": "teacher", "reply_to": "replies"}"#)
        Self.expectError(.unknownSchema, Self.job(envelope: #""schema": 2, "id": "j1", "kind": "teacher", "reply_to": "replies""#))
        Self.expectError(.unknownSchema, Self.job(envelope: #""id": "j1", "kind": "teacher", "reply_to": "replies""#))
        Self.expectError(.unknownSchema, Self.job(envelope: #""schema": true, "id": "j1", "kind": "teacher", "reply_to": "replies""#))
        Self.expectError(.unknownKind, Self.job(envelope: #""schema": 1, "id": "j1", "kind": "train", "reply_to": "replies""#))
        Self.expectError(.unknownKind, Self.job(envelope: #""schema": 1, "id": "j1", "kind": "generate", "reply_to": "replies""#)
                            .replacingOccurrences(of: "\"teacher\":", with: "\"generate\":"))
        Self.expectError(.badReplyTo, Self.job(envelope: #""schema": 1, "id": "j1", "kind": "teacher", "reply_to": "bad topic""#), replyTo: nil)
        Self.expectError(.badReplyTo, Self.job(envelope: #""schema": 1, "id": "j1", "kind": "teacher", "reply_to": "..""#), replyTo: nil)
        Self.expectError(.badReplyTo, Self.job(envelope: #""schema": 1, "id": "j1", "kind": "teacher""#), replyTo: nil)
        let expiring = Self.job(envelope: #""schema": 1, "id": "j1", "kind": "teacher", "reply_to": "replies", "deadline_ms": 1000"#)
        Self.expectError(.expired, expiring, nowMs: 1_000)
        #expect(throws: Never.self) { try Self.decode(expiring, nowMs: 999) }
    }

    @Test func bodyErrors() {
        let sequence = #""sequences": [{"id": "s", "prompt": "p", "response": "r"}]"#
        let models = #""ref": "a", "aligned": "b""#
        func teacher(_ members: String) -> String { Self.job(teacher: members) }
        Self.expectError(.malformedJSON, teacher(#""aligned": "b", "lambdas": [1], "top_k": 4, "# + sequence))
        Self.expectError(.malformedJSON, teacher(#""ref": 3, "aligned": "b", "lambdas": [1], "top_k": 4, "# + sequence))
        for lambdas in [#""lambdas": []"#, #""lambdas": [true]"#, #""lambdas": ["1"]"#, #""lambdas": [10.5]"#, #""lambdas": [-11]"#,
                        #""lambdas": [0.5, 0.50]"#, #""lambdas": [2, 2.0]"#, #""lambda": 1, "control": 2"#, #""lambdas": [1e400]"#, #""lambdas": [NaN]"#,
                        #""lambda": -Infinity"#, ""] {
            Self.expectError(.badLambda, teacher(models + ", " + lambdas + (lambdas.isEmpty ? "" : ", ") + #""top_k": 4, "# + sequence))
        }
        for topK in [#""top_k": 0"#, #""top_k": 1025"#, #""top_k": 2.5"#, #""top_k": "8""#, #""top_k": true"#, #""top_kk": 3"#] {
            Self.expectError(.badTopK, teacher(models + #", "lambdas": [1], "# + topK + ", " + sequence))
        }
        let head = models + #", "lambdas": [1], "top_k": 4, "#
        let badSequences = [
            #""sequences": []"#, #""sequences": {}"#, #""sequences": [{"id": "s"}]"#, #""sequences": [{"prompt": "p", "response": "r"}]"#,
            #""sequences": [{"id": [], "prompt": "p", "response": "r"}]"#, #""sequences": [{"id": "s", "prompt": "p"}]"#,
            #""sequences": [{"id": "s", "prompt": "p", "response": "r", "input_ids": [1, 2], "prompt_len": 1}]"#,
            #""sequences": [{"id": "s", "messages": [{"role": "user", "content": "Hi"}]}]"#,
            #""sequences": [{"id": "s", "messages": []}]"#,
            #""sequences": [{"id": "s", "messages": [{"role": "tool", "content": "x"}, {"role": "assistant", "content": "y"}]}]"#,
            #""sequences": [{"id": "s", "messages": [{"role": "assistant"}]}]"#,
            #""sequences": [{"id": "s", "input_ids": [1, 2.5], "prompt_len": 1}]"#,
            #""sequences": [{"id": "s", "prompt": "p", "response": "r"}, {"id": "s", "prompt": "q", "response": "r"}]"#,
            #""aligned_system": "Be brief.", "sequences": [{"id": "s", "input_ids": [1, 2], "prompt_len": 1}]"#,
            #""sequences": 5"#,
        ]
        for body in badSequences { Self.expectError(.badSequence, teacher(head + body)) }
        Self.expectError(.malformedJSON, teacher(head + #""aligned_system": 4, "# + sequence))
        for promptLen in ["0", "3", "-1", "1.5", "\"1\""] {
            Self.expectError(.badPromptLen, teacher(head + #""sequences": [{"id": "s", "input_ids": [1, 2, 3], "prompt_len": "# + promptLen + "}]"))
        }
        Self.expectError(.badPromptLen, teacher(head + #""sequences": [{"id": "s", "input_ids": [1, 2, 3]}]"#))
        Self.expectError(.badPromptLen, teacher(head + #""sequences": [{"id": "s", "input_ids": [1], "prompt_len": 1}]"#))
        Self.expectError(.tokenOutOfRange, teacher(head + #""sequences": [{"id": "s", "input_ids": [1, -2, 3], "prompt_len": 1}]"#))
        Self.expectError(.tokenOutOfRange, teacher(head + #""sequences": [{"id": "s", "input_ids": [1, 4294967296], "prompt_len": 1}]"#))
    }

    @Test func tokenRangeAgainstTheVocabulary() throws {
        let job = try Self.decode(Self.job(teacher: #""ref": "a", "aligned": "b", "lambdas": [1], "top_k": 4, "sequences": [{"id": "s", "input_ids": [0, 255, 256], "prompt_len": 1}]"#))
        #expect(throws: Never.self) { try job.checkTokens(vocabularySize: 257) }
        #expect(throws: JobError(.tokenOutOfRange, "sequence 0 (id \"s\"): token id 256 is not in [0, 256)", jobID: "j1", replyTo: "replies")) {
            try job.checkTokens(vocabularySize: 256)
        }
    }

    @Test func peekReadsIdAndReplyToOfInvalidJobs() {
        let peek = JobDecoder.peekEnvelope(Array(#"{"schema": 9, "id": "x", "reply_to": "out.topic", "teacher": 3}"#.utf8))
        #expect(peek.id == "x")
        #expect(peek.replyTo == "out.topic")
        let bad = JobDecoder.peekEnvelope(Array(#"{"id": 5, "reply_to": "no/slash"}"#.utf8))
        #expect(bad.id == "5")
        #expect(bad.replyTo == nil)
        let broken = JobDecoder.peekEnvelope(Array("{\"id\": \"x\"".utf8))
        #expect(broken.id == nil && broken.replyTo == nil)
    }
}
