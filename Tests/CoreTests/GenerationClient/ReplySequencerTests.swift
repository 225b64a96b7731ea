import Testing
@testable import Core

@Suite struct ReplySequencerTests {
    typealias Worker = ScriptedGenerationWorker

    static func reply(_ value: JSONValue) throws -> GenerateReply {
        try GenerateReply.decode(value.jsonBytes)
    }

    @Test func repeatedSeqsFromAnotherAttemptAreDroppedAndTheRestShownOnce() throws {
        var sequencer = ReplySequencer()
        let id = "c/000001"
        var shown: [GenerationEvent] = []
        // Attempt a streams two chunks and dies; attempt b streams everything again.
        let replies = [
            Worker.chunk(id, attempt: "a", seq: 0, text: "The", tokens: [1, 2]),
            Worker.chunk(id, attempt: "a", seq: 1, text: " sky", tokens: [3, 4]),
            Worker.chunk(id, attempt: "b", seq: 0, text: "The", tokens: [1, 2]),
            Worker.chunk(id, attempt: "b", seq: 1, text: " sky", tokens: [3, 4]),
            Worker.chunk(id, attempt: "b", seq: 2, text: " is", tokens: [5]),
            Worker.chunk(id, attempt: "a", seq: 1, text: " sky", tokens: [3, 4]),
            Worker.final(id, attempt: "b", seq: 3, text: "The sky is", tokens: [1, 2, 3, 4, 5]),
            Worker.final(id, attempt: "a", seq: 3, text: "The sky is", tokens: [1, 2, 3, 4, 5]),
        ]
        for reply in replies { shown += sequencer.accept(try Self.reply(reply)) }
        #expect(shown.count == 4)
        #expect(shown[0] == .text("The", tokenIDs: [1, 2]))
        #expect(shown[1] == .text(" sky", tokenIDs: [3, 4]))
        #expect(shown[2] == .text(" is", tokenIDs: [5]))
        guard case .finished(let final) = shown[3] else { Issue.record("no final: \(shown)"); return }
        #expect(final.text == "The sky is")
        #expect(final.attempt == "b")
        #expect(final.usage == GenerateReply.Usage(promptTokens: 5, completionTokens: 5))
        #expect(sequencer.isFinished)
    }

    @Test func theFinalReleasesTextTheChunksHeldBack() throws {
        var sequencer = ReplySequencer()
        let id = "c/000002"
        // " ##" might have started the stop string "###"; the final shows it was not one.
        var shown = sequencer.accept(try Self.reply(Worker.chunk(id, attempt: "a", seq: 0, text: "a", tokens: [7])))
        shown += sequencer.accept(try Self.reply(Worker.chunk(id, attempt: "a", seq: 1, text: "", tokens: [8])))
        shown += sequencer.accept(try Self.reply(Worker.final(id, attempt: "a", seq: 2, text: "a ##", tokens: [7, 8], finishReason: .length)))
        #expect(shown.count == 4)
        #expect(shown[1] == .text("", tokenIDs: [8]))
        #expect(shown[2] == .text(" ##", tokenIDs: []))
        let texts = shown.compactMap { event -> String? in
            if case .text(let text, _) = event { return text }
            return nil
        }
        #expect(texts.joined() == "a ##")
    }

    @Test func withoutStreamingTheFinalCarriesTheWholeText() throws {
        var sequencer = ReplySequencer()
        let shown = sequencer.accept(try Self.reply(Worker.final("c/3", attempt: "a", seq: 0, text: "Hi!", tokens: [9, 10, 2])))
        #expect(shown.first == .text("Hi!", tokenIDs: [9, 10, 2]))
        #expect(shown.count == 2)
    }

    @Test func anErrorEndsTheRequest() throws {
        var sequencer = ReplySequencer()
        _ = sequencer.accept(try Self.reply(Worker.chunk("c/4", attempt: "a", seq: 0, text: "x", tokens: [1])))
        let failure = try Self.reply(Worker.error("c/4", code: .cancelled, message: "cancelled by the client"))
        #expect(failure == .failure(.init(id: "c/4", code: "cancelled", message: "cancelled by the client")))
        #expect(sequencer.accept(failure).isEmpty)
        #expect(sequencer.isFinished)
        #expect(sequencer.accept(try Self.reply(Worker.chunk("c/4", attempt: "b", seq: 1, text: "y", tokens: [2]))).isEmpty)
    }
}
