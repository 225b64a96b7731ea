import Foundation
import Testing
@testable import Core

@Suite struct GenerationJobDecoderTests {
    static let documentedExample = """
    {"schema": 1, "id": "gw7/000042", "kind": "generate", "reply_to": "realign.replies.gw7",
     "deadline_ms": 0,
     "generate": {"model": "smol-inra", "mode": "inra", "lambda": 0.5,
                  "messages": [{"role": "user", "content": "Why is the sky blue?"}],
                  "max_tokens": 128, "temperature": 0.7, "top_p": 0.9, "seed": 7,
                  "stop": ["\\n\\n"], "stream": true}}
    """

    static func request(_ body: String, id: String = "g1") -> String {
        #"{"schema": 1, "id": "\#(id)", "kind": "generate", "reply_to": "replies", "generate": {\#(body)}}"#
    }

    static func decode(_ text: String, nowMs: Int64 = 1_000) throws(JobError) -> GenerationJob {
        try JobDecoder.decodeGeneration(Array(text.utf8), nowMs: nowMs)
    }

    @Test func decodesTheDocumentedExample() throws {
        let job = try Self.decode(Self.documentedExample)
        #expect(job == GenerationJob(
            id: "gw7/000042", replyTo: "realign.replies.gw7", models: .single("smol-inra"), mode: .inra, lambda: 0.5,
            input: .messages([ChatMessage(role: "user", content: "Why is the sky blue?")]), maxTokens: 128,
            sampling: SamplingParameters(temperature: 0.7, topP: 0.9, seed: 7), stopStrings: ["\n\n"], stream: true))
    }

    @Test func defaultsLeaveTheModeToTheWorkerAndDeriveTheSeedFromTheID() throws {
        let job = try Self.decode(Self.request(#""model": "smol", "prompt": "Once upon""#, id: "r-9"))
        #expect(job.models == .single("smol"))
        #expect(job.mode == nil)
        #expect(job.lambda == nil && job.effectiveLambda == 1)
        #expect(job.input == .prompt("Once upon"))
        #expect(job.maxTokens == 256)
        #expect(job.sampling == SamplingParameters(temperature: 1, seed: SamplingParameters.seed(derivedFrom: "r-9")))
        #expect(job.sampling.seed == UInt64(SHA256.hex("r-9").prefix(16), radix: 16))
        #expect(job.stopStrings.isEmpty && job.stopTokenIDs.isEmpty && !job.stream && job.alignedSystem == nil)
    }

    @Test func readsDeRaAliasesAndEveryOptionalField() throws {
        let job = try Self.decode(Self.request(#"""
            "ref": "base", "aligned": "tuned", "aligned_system": "Be brief.", "control": -0.0,
            "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
            "max_tokens": 8.0, "temperature": 0, "top_k": 40, "min_p": 0.05, "top_p": 1,
            "seed": 9223372036854775808, "stop": "END", "stop_token_ids": [2, 7], "stream": false, "extra": {"ignored": true}
            """#))
        #expect(job.models == .pair(ref: "base", aligned: "tuned"))
        #expect(job.mode == .dera)
        #expect(job.alignedSystem == "Be brief.")
        #expect(job.lambda == 0 && job.lambda?.sign == .plus)
        #expect(job.maxTokens == 8)
        #expect(job.sampling == SamplingParameters(temperature: 0, topK: 40, topP: nil, minP: 0.05, seed: 9_223_372_036_854_775_808))
        #expect(job.stopStrings == ["END"])
        #expect(job.stopTokenIDs == [2, 7])
        let tokens = try Self.decode(Self.request(#""model": "m", "mode": "plain", "input_ids": [1, 2.0, 3], "top_k": 0, "min_p": 0"#))
        #expect(tokens.input == .tokens([1, 2, 3]))
        #expect(tokens.mode == .plain)
        #expect(tokens.sampling.topK == nil && tokens.sampling.minP == nil)
        let nulls = try Self.decode(Self.request(#""model": "m", "prompt": "p", "lambda": null, "seed": null, "stop": null, "stream": null"#))
        #expect(nulls.lambda == nil && nulls.stopStrings.isEmpty && !nulls.stream)
    }

    /// Every model-free check, with the code it gives.
    @Test(arguments: [
        (JobErrorCode.badMode, #""model": "m", "mode": "beam", "prompt": "p""#),
        (.badMode, #""model": "m", "mode": 1, "prompt": "p""#),
        (.badMode, #""ref": "a", "aligned": "b", "mode": "inra", "prompt": "p""#),
        (.badMode, #""model": "m", "aligned_system": "S", "messages": [{"role": "user", "content": "Q"}]"#),
        (.malformedJSON, #""prompt": "p""#),
        (.malformedJSON, #""model": 3, "prompt": "p""#),
        (.malformedJSON, #""model": "m", "ref": "a", "aligned": "b", "prompt": "p""#),
        (.malformedJSON, #""ref": "a", "prompt": "p""#),
        (.malformedJSON, #""aligned": "b", "prompt": "p""#),
        (.malformedJSON, #""model": "m", "mode": "dera", "prompt": "p""#),
        (.malformedJSON, #""mode": "dera", "prompt": "p""#),
        (.malformedJSON, #""ref": "a", "aligned": "b", "aligned_system": 5, "messages": [{"role": "user", "content": "Q"}]"#),
        (.malformedJSON, #""model": "m", "prompt": "p", "stream": "yes""#),
        (.badLambda, #""model": "m", "mode": "plain", "lambda": 0.5, "prompt": "p""#),
        (.badLambda, #""model": "m", "lambda": 0.5, "control": 0.5, "prompt": "p""#),
        (.badLambda, #""model": "m", "lambda": 10.5, "prompt": "p""#),
        (.badLambda, #""model": "m", "lambda": "1", "prompt": "p""#),
        (.badLambda, #""model": "m", "control": [0.5], "prompt": "p""#),
        (.badSequence, #""model": "m""#),
        (.badSequence, #""model": "m", "prompt": "p", "input_ids": [1]"#),
        (.badSequence, #""model": "m", "prompt": """#),
        (.badSequence, #""model": "m", "prompt": 5"#),
        (.badSequence, #""model": "m", "messages": []"#),
        (.badSequence, #""model": "m", "messages": [{"role": "robot", "content": "Q"}]"#),
        (.badSequence, #""model": "m", "messages": [{"role": "user"}]"#),
        (.badSequence, #""model": "m", "input_ids": []"#),
        (.badSequence, #""model": "m", "input_ids": [1, "2"]"#),
        (.badSequence, #""ref": "a", "aligned": "b", "aligned_system": "S", "prompt": "p""#),
        (.tokenOutOfRange, #""model": "m", "input_ids": [1, -2]"#),
        (.tokenOutOfRange, #""model": "m", "input_ids": [4294967296]"#),
        (.badSampling, #""model": "m", "prompt": "p", "max_tokens": 0"#),
        (.badSampling, #""model": "m", "prompt": "p", "max_tokens": 2.5"#),
        (.badSampling, #""model": "m", "prompt": "p", "temperature": -0.1"#),
        (.badSampling, #""model": "m", "prompt": "p", "temperature": 1e300"#),
        (.badSampling, #""model": "m", "prompt": "p", "top_p": 0"#),
        (.badSampling, #""model": "m", "prompt": "p", "top_p": 1.5"#),
        (.badSampling, #""model": "m", "prompt": "p", "top_k": -1"#),
        (.badSampling, #""model": "m", "prompt": "p", "top_k": 1.5"#),
        (.badSampling, #""model": "m", "prompt": "p", "min_p": 1.01"#),
        (.badSampling, #""model": "m", "prompt": "p", "seed": -1"#),
        (.badSampling, #""model": "m", "prompt": "p", "seed": 18446744073709551616"#),
        (.badSampling, #""model": "m", "prompt": "p", "seed": "7""#),
        (.badSampling, #""model": "m", "prompt": "p", "stop": ["a", ""]"#),
        (.badSampling, #""model": "m", "prompt": "p", "stop": [1]"#),
        (.badSampling, #""model": "m", "prompt": "p", "stop": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"]"#),
        (.badSampling, #""model": "m", "prompt": "p", "stop_token_ids": 2"#),
        (.badSampling, #""model": "m", "prompt": "p", "stop_token_ids": [-1]"#),
    ])
    func rejects(_ code: JobErrorCode, _ body: String) {
        do {
            let job = try Self.decode(Self.request(body))
            Issue.record("expected \(code.rawValue), decoded \(job)")
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.jobID == "g1")
            #expect(error.replyTo == "replies")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func theEnvelopeIsReadAsForTeacherJobs() {
        let expired = #"{"schema": 1, "id": "g1", "kind": "generate", "reply_to": "replies", "deadline_ms": 500, "generate": {"model": "m", "prompt": "p"}}"#
        #expect(throws: JobError(.expired, "the deadline 500 ms passed 500 ms ago", jobID: "g1", replyTo: "replies")) {
            try Self.decode(expired)
        }
        let teacher = #"{"schema": 1, "id": "g1", "kind": "teacher", "reply_to": "replies", "teacher": {}}"#
        #expect(throws: JobError(.unknownKind, "a 'teacher' job is not a generation request", jobID: "g1", replyTo: "replies")) {
            try Self.decode(teacher)
        }
        let noBody = #"{"schema": 1, "id": "g1", "kind": "generate", "reply_to": "replies"}"#
        #expect((try? Self.decode(noBody)) == nil)
    }
}

@Suite struct RequestOffsetsTests {
    @Test func commitsTheLowestOffsetNotYetDonePerPartition() {
        var offsets = RequestOffsets()
        for offset in [10, 11, 12] as [Int64] { offsets.take(partition: 0, offset: offset) }
        offsets.take(partition: 1, offset: 4)
        #expect(offsets.finish(partition: 0, offset: 11) == nil, "10 is still running")
        #expect(offsets.finish(partition: 1, offset: 4) == 4)
        #expect(offsets.finish(partition: 0, offset: 10) == 11)
        #expect(offsets.finish(partition: 0, offset: 10) == nil, "finished twice")
        offsets.take(partition: 0, offset: 13)
        #expect(offsets.finish(partition: 0, offset: 13) == nil, "12 is still running")
        #expect(offsets.finish(partition: 0, offset: 12) == 13)
        #expect(offsets.finish(partition: 2, offset: 0) == nil, "never taken")
    }

    @Test func recentCancelsAreForgottenAfterTenMinutes() {
        var cancels = RecentCancels()
        let start = Date(timeIntervalSince1970: 1_000_000)
        cancels.remember("a", at: start)
        #expect(cancels.contains("a", at: start.addingTimeInterval(599)))
        #expect(!cancels.contains("a", at: start.addingTimeInterval(600)))
        #expect(!cancels.contains("b", at: start))
        #expect(CancelFeed.cancelledID(Array(#"{"schema": 1, "kind": "cancel", "id": "gw7/000042"}"#.utf8)) == "gw7/000042")
        #expect(CancelFeed.cancelledID(Array(#"{"schema": 1, "kind": "cancel", "id": 17}"#.utf8)) == "17")
        #expect(CancelFeed.cancelledID(Array(#"{"schema": 2, "kind": "cancel", "id": "x"}"#.utf8)) == nil)
        #expect(CancelFeed.cancelledID(Array(#"{"schema": 1, "kind": "generate", "id": "x"}"#.utf8)) == nil)
    }
}
