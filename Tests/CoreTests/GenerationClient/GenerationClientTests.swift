import Foundation
import Testing
@testable import Core

/// The client against an embedded broker and a scripted worker: routing by id, the
/// merge of two attempts, error replies, cancels and resubmission.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GenerationClientTests {
    typealias Worker = ScriptedGenerationWorker

    static func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> (texts: [String], final: GenerateReply.Final?) {
        var texts: [String] = []
        var final: GenerateReply.Final?
        for try await event in stream {
            switch event {
            case .text(let text, _): texts.append(text)
            case .finished(let last): final = last
            }
        }
        return (texts, final)
    }

    static func firstEvent(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> GenerationEvent? {
        var iterator = stream.makeAsyncIterator()
        return try await iterator.next()
    }

    @Test func mergesTwoAttemptsAndRoutesEachRequestItsOwnReplies() async throws {
        // Every request is answered twice over: attempt a dies after one chunk, attempt
        // b streams it all; the text is the request's prompt reversed, so a reply routed
        // to the wrong request shows.
        let worker = try Worker { request, _ in
            let id = request["id"]!.stringValue!
            let text = String(request["generate"]!["prompt"]!.stringValue!.reversed())
            let half = String(text.prefix(2)), rest = String(text.dropFirst(2))
            return [Worker.chunk(id, attempt: "a", seq: 0, text: half, tokens: [1]),
                    Worker.chunk(id, attempt: "b", seq: 0, text: half, tokens: [1]),
                    Worker.chunk(id, attempt: "b", seq: 1, text: rest, tokens: [2]),
                    Worker.chunk(id, attempt: "a", seq: 1, text: rest, tokens: [2]),
                    Worker.final(id, attempt: "b", seq: 2, text: text, tokens: [1, 2])]
        }
        defer { worker.stop() }
        // Never resubmitted here, however slow the machine: the test is about attempts.
        let client = try worker.client(resubmitAfter: .seconds(600))
        defer { client.close() }
        let prompts = ["abcd", "wxyz", "12345"]
        let results = try await withThrowingTaskGroup(of: (String, [String], String?).self) { group in
            for prompt in prompts {
                group.addTask {
                    let (texts, final) = try await Self.collect(client.stream(GenerateParameters(model: "smol", input: .prompt(prompt), stream: true)))
                    return (prompt, texts, final?.text)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
        }
        for prompt in prompts {
            let expected = String(prompt.reversed())
            #expect(results[prompt]?.0 == [String(expected.prefix(2)), String(expected.dropFirst(2))], "prompt \(prompt)")
            #expect(results[prompt]?.1 == expected)
        }
        #expect(client.pendingCount == 0)
        let ids = worker.requests.withLock { $0.compactMap(\.keyString) }.sorted()
        #expect(ids.count == 3)
        #expect(ids.allSatisfy { $0.hasPrefix(client.options.clientID + "/") })
    }

    @Test func anErrorReplyEndsTheStreamWithItsCode() async throws {
        let worker = try Worker { request, _ in
            [Worker.error(request["id"]!.stringValue!, code: .unknownModel, message: "no model nope")]
        }
        defer { worker.stop() }
        let client = try worker.client()
        defer { client.close() }
        do {
            _ = try await Self.collect(client.stream(GenerateParameters(model: "nope", input: .prompt("x"))))
            Issue.record("no error")
        } catch let error as GenerationClientError {
            guard case .failed(let failure) = error else { Issue.record("\(error)"); return }
            #expect(failure.code == "unknown_model")
            #expect(failure.message == "no model nope")
        }
    }

    @Test func aCallerThatStopsListeningCancelsItsRequestOnly() async throws {
        // The worker streams a first chunk and then nothing (a long generation).
        let worker = try Worker { request, _ in
            [Worker.chunk(request["id"]!.stringValue!, attempt: "a", seq: 0, text: "Once", tokens: [1])]
        }
        defer { worker.stop() }
        let client = try worker.client()
        defer { client.close() }
        let kept = client.stream(GenerateParameters(model: "smol", input: .prompt("keep"), stream: true))
        // The stream is dropped after its first event.
        #expect(try await Self.firstEvent(client.stream(GenerateParameters(model: "smol", input: .prompt("go"), stream: true)))
                == .text("Once", tokenIDs: [1]))
        var keptIterator = kept.makeAsyncIterator()
        #expect(try await keptIterator.next() == .text("Once", tokenIDs: [1]))
        let cancels = try await blocking { try worker.controlMessages(count: 1) }
        #expect(cancels.count == 1)
        let ids = worker.requests.withLock { $0.compactMap(\.keyString) }
        let goID = try #require(worker.requests.withLock { list in
            list.first { (try? JSONParser.parse($0.value))?["generate"]?["prompt"]?.stringValue == "go" }?.keyString
        })
        #expect(ids.count == 2)
        #expect(cancels[0].keyString == goID)
        #expect(String(decoding: cancels[0].value, as: UTF8.self) == #"{"schema":1,"kind":"cancel","id":"\#(goID)"}"#)
        #expect(client.pendingCount == 1)
    }

    @Test func aRequestWithoutReplyIsSubmittedAgainThenFails() async throws {
        let worker = try Worker { request, submission in
            // Only the second submission is answered.
            submission == 2 ? [Worker.final(request["id"]!.stringValue!, attempt: "b", seq: 0, text: "late", tokens: [3])] : []
        }
        defer { worker.stop() }
        // Long enough for the answer to the second submission on a loaded machine.
        let client = try worker.client(resubmitAfter: .seconds(3), maxSubmissions: 2)
        defer { client.close() }
        let (_, final) = try await Self.collect(client.stream(GenerateParameters(model: "smol", input: .prompt("x"))))
        #expect(final?.text == "late")
        let sent = worker.requests.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent[0].value == sent[1].value)

        let silent = try Worker { _, _ in [] }
        defer { silent.stop() }
        let impatient = try silent.client(resubmitAfter: .seconds(1), maxSubmissions: 2)
        defer { impatient.close() }
        do {
            _ = try await Self.collect(impatient.stream(GenerateParameters(model: "smol", input: .prompt("x"))))
            Issue.record("no error")
        } catch let error as GenerationClientError {
            guard case .noReply(_, let submissions, _) = error else { Issue.record("\(error)"); return }
            #expect(submissions == 2)
        }
        #expect(silent.requests.withLock { $0.count } == 2)
    }
}
