import Foundation
import Testing
@testable import Core

/// The SmolLM2 tokenizer read from the GGUF against transformers' goldens
/// (`smollm2/tokenizer-goldens.json`). Ids are compared with `ids_digit_split`: our
/// tokenizer follows the GGUF's `pre=smollm` (see the fixtures README, "Pre-tokenizer quirk").
@Suite struct SmolLM2TokenizerGoldenTests {
    struct Goldens: Decodable {
        struct Case: Decodable {
            let name: String
            let text: String
            let ids: [Int32]
            let tokens: [String]
            let decoded: String
            let ids_digit_split: [Int32]
            let decoded_skip_special: String?
            let messages: [ChatMessage]?
            let add_generation_prompt: Bool?
        }
        let cases: [Case]
        let special_tokens: [String: String]
        let bos_token: [StringOrInt]
        let eos_token: [StringOrInt]
    }

    enum StringOrInt: Decodable {
        case string(String), int(Int32)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let int = try? container.decode(Int32.self) { self = .int(int) } else {
                self = .string(try container.decode(String.self))
            }
        }
    }

    static let goldens: Goldens = {
        let data = FileManager.default.contents(atPath: TestPaths.fixture("smollm2/tokenizer-goldens.json"))!
        return try! JSONDecoder().decode(Goldens.self, from: data)
    }()

    static let gguf: GGUFFile = try! GGUFFile(path: TestPaths.smolLM2)

    static let tokenizer: Tokenizer = try! Tokenizer(spec: TokenizerSpec(gguf: gguf))

    static var caseNames: [String] { goldens.cases.map(\.name) }

    static func golden(_ name: String) -> Goldens.Case {
        goldens.cases.first { $0.name == name }!
    }

    @Test(arguments: caseNames)
    func encodesLikeTheDigitSplitPipeline(name: String) {
        let golden = Self.golden(name)
        #expect(Self.tokenizer.encode(golden.text) == golden.ids_digit_split)
    }

    @Test(arguments: caseNames)
    func decodesTransformersIds(name: String) {
        let golden = Self.golden(name)
        #expect(Self.tokenizer.decode(golden.ids) == golden.decoded)
        #expect(Self.tokenizer.decode(golden.ids_digit_split) == golden.text)
        #expect(golden.ids.map { Self.tokenizer.token(of: $0)! } == golden.tokens)
    }

    @Test func multipleSpacesDifferOnlyWhereTheReadmeSays() {
        let golden = Self.golden("multiple_spaces")
        #expect(golden.ids != golden.ids_digit_split)
        let andFortyTwo = Self.tokenizer.encode("and  42")
        #expect(andFortyTwo.map { Self.tokenizer.token(of: $0)! } == ["and", "ĠĠ", "4", "2"])
    }

    @Test func chatCaseSkipsSpecialTokensOnDecode() {
        let golden = Self.golden("chat_template")
        #expect(Self.tokenizer.decode(golden.ids, skipSpecial: true) == golden.decoded_skip_special)
    }

    @Test func specialTokensAreWholeIds() throws {
        for (idString, text) in Self.goldens.special_tokens {
            let id = try #require(Int32(idString))
            #expect(Self.tokenizer.isSpecial(id))
            #expect(Self.tokenizer.encode(text) == [id])
            #expect(Self.tokenizer.encode("x" + text + "x") == Self.tokenizer.encode("x") + [id] + Self.tokenizer.encode("x"))
            #expect(Self.tokenizer.decode([id]) == text)
        }
        #expect(Self.tokenizer.tokenCount == 49152)
        #expect(Self.tokenizer.spec.bosTokenId == 1)
        #expect(Self.tokenizer.spec.eosTokenId == 2)
        #expect(Self.tokenizer.spec.addBOS == false)
        #expect(Self.tokenizer.id(of: "<|im_end|>") == 2)
        #expect(Self.tokenizer.encode("hi", addBOS: true) == [1] + Self.tokenizer.encode("hi"))
    }

    @Test func chatTemplateRendersTheGoldenPromptText() throws {
        let golden = Self.golden("chat_template")
        let template = try ChatTemplate(source: SmolLM2Template.source)
        #expect(golden.add_generation_prompt == true)
        let text = try template.render(messages: try #require(golden.messages), addGenerationPrompt: true)
        #expect(text == golden.text)
        #expect(Self.tokenizer.encode(text) == golden.ids)
    }

    @Test func theGGUFsOwnChatTemplateRendersTheGoldenPromptText() throws {
        let golden = Self.golden("chat_template")
        let source = try #require(try Self.gguf.string("tokenizer.chat_template"))
        #expect(source.trimmingCharacters(in: .newlines) == SmolLM2Template.source)
        let text = try ChatTemplate(source: source).render(messages: try #require(golden.messages), addGenerationPrompt: true)
        #expect(text == golden.text)
    }

    @Test func streamingBytesConcatenateToTheText() {
        let golden = Self.golden("emoji")
        var bytes: [UInt8] = []
        for id in golden.ids_digit_split { bytes += Self.tokenizer.decodeBytes([id]) }
        #expect(bytes == Array(golden.text.utf8))
        // A lone continuation-byte token is not valid UTF-8 by itself.
        #expect(Self.tokenizer.decode([golden.ids[4]]) == "\u{FFFD}")
    }

    @Test func contentHashIsStableAndSensitive() throws {
        let again = try Tokenizer(spec: Self.tokenizer.spec)
        #expect(again.contentSHA256 == Self.tokenizer.contentSHA256)
        var changed = Self.tokenizer.spec
        changed.preTokenizer = .gpt2
        #expect(try Tokenizer(spec: changed).contentSHA256 != Self.tokenizer.contentSHA256)
        changed = Self.tokenizer.spec
        changed.bosTokenId = 0
        #expect(try Tokenizer(spec: changed).contentSHA256 == Self.tokenizer.contentSHA256)
    }
}
