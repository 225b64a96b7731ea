import Testing
@testable import Core

@Suite("Streaming text: UTF-8 boundaries and stop strings")
struct StreamingTextTests {
    @Test("Characters split over tokens are released whole")
    func utf8Boundaries() {
        var decoder = UTF8StreamDecoder()
        #expect(decoder.append([0x61, 0xC3]) == [0x61])
        #expect(decoder.append([0xA9]) == Array("é".utf8))
        #expect(decoder.append([0xE2]) == [])
        #expect(decoder.append([0x82]) == [])
        #expect(decoder.append([0xAC, 0x21]) == Array("€!".utf8))
        for byte in Array("😀".utf8).dropLast() { #expect(decoder.append([byte]) == []) }
        #expect(decoder.append([Array("😀".utf8).last!]) == Array("😀".utf8))
        #expect(decoder.finish() == [])
    }

    @Test("Invalid bytes become U+FFFD; an unfinished character does at the end")
    func invalidBytes() {
        var decoder = UTF8StreamDecoder()
        #expect(decoder.append([0xFF, 0x41]) == Array("\u{FFFD}A".utf8))
        #expect(decoder.append([0xE2, 0x82]) == [])
        #expect(decoder.append([0x41]) == Array("\u{FFFD}A".utf8))
        #expect(decoder.append([0xF0, 0x9F]) == [])
        #expect(decoder.finish() == Array("\u{FFFD}".utf8))
    }

    @Test("Text that may start a stop string is held until it cannot")
    func holdBack() {
        var matcher = StopStringMatcher(stopStrings: ["END", "\n\n"])
        #expect(matcher.append(Array("abcE".utf8)) == (Array("abc".utf8), false))
        #expect(matcher.append(Array("N".utf8)) == ([], false))
        #expect(matcher.append(Array("X\n".utf8)) == (Array("ENX".utf8), false))
        #expect(matcher.append(Array("y".utf8)) == (Array("\ny".utf8), false))
        #expect(matcher.append(Array("E".utf8)) == ([], false))
        #expect(matcher.finish() == Array("E".utf8))
    }

    @Test("A stop string ends the text before it, also across pieces; the earliest wins")
    func stopStrings() {
        var matcher = StopStringMatcher(stopStrings: ["END", "ab"])
        #expect(matcher.append(Array("xxE".utf8)) == (Array("xx".utf8), false))
        #expect(matcher.append(Array("NDab".utf8)) == ([], true))
        var earliest = StopStringMatcher(stopStrings: ["END", "ab"])
        #expect(earliest.append(Array("1abEND".utf8)) == (Array("1".utf8), true))
        var unicode = StopStringMatcher(stopStrings: ["é!"])
        #expect(unicode.append(Array("café".utf8)) == (Array("caf".utf8), false))
        #expect(unicode.append(Array("!".utf8)) == ([], true))
    }
}

/// A tokenizer whose id `b` is the byte `b` (the 256 one-byte tokens of the byte-level
/// alphabet), so the tiny random models generate text.
enum ByteTokenizer {
    static func make() throws -> Tokenizer {
        let tokens = (0..<256).map { String(ByteLevelAlphabet.characterForByte[$0]) }
        return try Tokenizer(spec: TokenizerSpec(
            tokens: tokens, merges: [], specialTokenIds: [], preTokenizer: .gpt2,
            bosTokenId: nil, eosTokenId: nil, addBOS: false))
    }
}

@Suite("Decode session finish reasons and streamed text")
struct DecodeSessionTextTests {
    static func session() throws -> DecodeSession {
        DecodeSession(model: .plain(Transformer(weights: try TinyModelFixture.weights("tiny-qwen2"))), tokenizer: try ByteTokenizer.make())
    }

    @Test("Streamed pieces join to the decode of all ids; max tokens gives length")
    func streamedTextIsWhole() throws {
        let session = try Self.session()
        let prompt = try #require(try TinyModelFixture.sequences()["A"])
        try session.add(GenerationRequest(id: "s", promptIds: prompt, sampling: SamplingParameters(temperature: 1, seed: 4), maxTokens: 60))
        var pieces: [String] = []
        var ids: [Int32] = []
        var last: GenerationUpdate?
        while !session.isEmpty {
            let update = try #require(session.step().first)
            pieces.append(update.text)
            ids.append(update.tokenId)
            last = update
        }
        #expect(ids.count == 60)
        #expect(last?.finishReason == .length && last?.completionTokens == 60 && last?.promptTokens == 7)
        #expect(pieces.joined() == session.tokenizer!.decode(ids))
    }

    @Test("A stop token ends with stop and adds no text; a stop string cuts the text before it")
    func stops() throws {
        let prompt = try #require(try TinyModelFixture.sequences()["A"])
        let sampling = SamplingParameters(temperature: 1, seed: 4)
        let free = try Self.session()
        try free.add(GenerationRequest(id: "free", promptIds: prompt, sampling: sampling, maxTokens: 60))
        let reference = try #require(free.runToCompletion().first)
        let tokenizer = try ByteTokenizer.make()

        let byToken = try Self.session()
        let stopId = reference.tokenIds[10]
        let firstStop = try #require(reference.tokenIds.firstIndex(of: stopId))
        try byToken.add(GenerationRequest(id: "t", promptIds: prompt, sampling: sampling, maxTokens: 60, stopTokenIds: [stopId]))
        let stopped = try #require(byToken.runToCompletion().first)
        #expect(stopped.finishReason == .stop)
        #expect(stopped.tokenIds == Array(reference.tokenIds[...firstStop]))
        #expect(stopped.text == tokenizer.decode(Array(reference.tokenIds[..<firstStop])))

        // A stop string made of two characters of the reference text.
        let characters = Array(reference.text)
        let stopString = String(characters[12...13])
        let cut = try #require(reference.text.range(of: stopString))
        let byString = try Self.session()
        try byString.add(GenerationRequest(id: "s", promptIds: prompt, sampling: sampling, maxTokens: 60, stopStrings: [stopString]))
        let cutResult = try #require(byString.runToCompletion().first)
        #expect(cutResult.finishReason == .stop)
        #expect(cutResult.text == String(reference.text[..<cut.lowerBound]))
        #expect(cutResult.tokenIds == Array(reference.tokenIds.prefix(cutResult.tokenIds.count)))
    }

    @Test("Requests the session cannot take are refused with the reason")
    func refusals() throws {
        let session = try Self.session()
        try session.add(GenerationRequest(id: "x", promptIds: [1, 2]))
        #expect(throws: GenerationError(id: "x", problem: "a sequence with this id is already generating")) {
            try session.add(GenerationRequest(id: "x", promptIds: [1]))
        }
        #expect(throws: GenerationError(id: "e", problem: "the prompt is empty")) {
            try session.add(GenerationRequest(id: "e", promptIds: []))
        }
        #expect(throws: GenerationError(id: "v", problem: "prompt token id 256 is outside the vocabulary of 256")) {
            try session.add(GenerationRequest(id: "v", promptIds: [3, 256]))
        }
        #expect(throws: GenerationError(id: "m", problem: "max tokens 0 must be at least 1")) {
            try session.add(GenerationRequest(id: "m", promptIds: [3], maxTokens: 0))
        }
        #expect(throws: GenerationError(id: "d", problem: "an aligned prompt applies to DeRa generation only")) {
            try session.add(GenerationRequest(id: "d", promptIds: [3], alignedPromptIds: [4]))
        }
        #expect(session.activeIds == ["x"])
    }

    @Test("Generation stops with length when the context is full")
    func contextFull() throws {
        let session = try Self.session()
        let prompt = [Int32](repeating: 7, count: 250)
        try session.add(GenerationRequest(id: "long", promptIds: prompt))
        let result = try #require(session.runToCompletion().first)
        #expect(result.finishReason == .length)
        #expect(result.completionTokens == 256 - 250)
    }
}
