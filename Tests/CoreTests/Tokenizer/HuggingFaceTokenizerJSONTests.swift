import Foundation
import Testing
@testable import Core

/// `TokenizerSpec(huggingFaceTokenizerJSON:tokenizerConfigJSON:)` on small tokenizer.json
/// texts written here: every byte token, a few merges that spell "hello" and " world",
/// and two added tokens (one special, one not, as Qwen's `<think>`).
@Suite struct HuggingFaceTokenizerJSONTests {
    static let mergeRules = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld")]
    static let imStart: Int32 = 265
    static let think: Int32 = 266

    static func vocabJSON() -> String {
        var entries: [String] = []
        for byte in 0..<256 { entries.append(jsonString(String(ByteLevelAlphabet.characterForByte[byte])) + ": \(byte)") }
        for (offset, rule) in mergeRules.enumerated() { entries.append(jsonString(rule.0 + rule.1) + ": \(256 + offset)") }
        return "{" + entries.joined(separator: ", ") + "}"
    }

    static func jsonString(_ string: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: string, options: [.fragmentsAllowed]), as: UTF8.self)
    }

    static let gpt2PreTokenizer = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
    static let smolLMPreTokenizer = #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}"#
    static let qwen2PreTokenizer = #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]}"#

    static func tokenizerJSON(preTokenizer: String, pairMerges: Bool = false, normalizer: String = "null", vocab: String? = nil) -> [UInt8] {
        let merges = mergeRules.map { rule in
            pairMerges ? "[\(jsonString(rule.0)), \(jsonString(rule.1))]" : jsonString(rule.0 + " " + rule.1)
        }
        let text = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 265, "content": "<|im_start|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 266, "content": "<think>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false}],
             "normalizer": \(normalizer),
             "pre_tokenizer": \(preTokenizer),
             "post_processor": null, "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "dropout": null, "unk_token": null, "byte_fallback": false,
                       "vocab": \(vocab ?? vocabJSON()), "merges": [\(merges.joined(separator: ", "))]}}
            """
        return Array(text.utf8)
    }

    @Test func readsVocabularyMergesAndAddedTokens() throws {
        let spec = try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer), tokenizerConfigJSON: nil)
        #expect(spec.tokens.count == 267)
        #expect(spec.tokens[32] == "Ġ")
        #expect(spec.tokens[33] == "!")
        #expect(spec.tokens[265] == "<|im_start|>")
        #expect(spec.merges.first == "h e")
        #expect(spec.merges.count == 9)
        #expect(spec.specialTokenIds == [265, 266])
        #expect(spec.preTokenizer == .gpt2)
        #expect(spec.bosTokenId == nil && spec.eosTokenId == nil && spec.addBOS == false)

        let tokenizer = try Tokenizer(spec: spec)
        #expect(tokenizer.encode("hello world") == [259, 264])
        #expect(tokenizer.encode("<|im_start|>hello<think>") == [Self.imStart, 259, Self.think])
        #expect(tokenizer.decode([Self.imStart, 259, 264, Self.think]) == "<|im_start|>hello world<think>")
        #expect(tokenizer.decode([Self.imStart, 259, Self.think], skipSpecial: true) == "hello")
    }

    @Test func pairMergesEqualStringMerges() throws {
        let strings = try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer), tokenizerConfigJSON: nil)
        let pairs = try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer, pairMerges: true), tokenizerConfigJSON: nil)
        #expect(strings == pairs)
        #expect(try Tokenizer(spec: strings).contentSHA256 == Tokenizer(spec: pairs).contentSHA256)
    }

    @Test func mapsThePreTokenizers() throws {
        let smolLM = try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.smolLMPreTokenizer), tokenizerConfigJSON: nil)
        #expect(smolLM.preTokenizer == .smollm)
        let qwen2 = try TokenizerSpec(
            huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.qwen2PreTokenizer, normalizer: #"{"type": "NFC"}"#),
            tokenizerConfigJSON: nil)
        #expect(qwen2.preTokenizer == .qwen2)
        #expect(try Tokenizer(spec: qwen2).encode("<think>hello world") == [Self.think, 259, 264])
    }

    @Test func readsBOSAndEOSFromTheConfig() throws {
        let config = Array(#"{"add_bos_token": true, "bos_token": {"__type": "AddedToken", "content": "<|im_start|>"}, "eos_token": "<think>"}"#.utf8)
        let spec = try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer), tokenizerConfigJSON: config)
        #expect(spec.bosTokenId == Self.imStart)
        #expect(spec.eosTokenId == Self.think)
        #expect(spec.addBOS)
        #expect(try Tokenizer(spec: spec).encode("hello", addBOS: true) == [Self.imStart, 259])
    }

    @Test func rejectsWhatItCannotReproduce() {
        let metaspace = #"{"type": "Metaspace", "replacement": "▁"}"#
        #expect(throws: TokenizerError.unsupported(file: "tokenizer.json", field: "pre_tokenizer", value: #"{"replacement":"▁","type":"Metaspace"}"#)) {
            try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: metaspace), tokenizerConfigJSON: nil)
        }
        let prefixSpace = #"{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}"#
        #expect(throws: TokenizerError.self) {
            try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: prefixSpace), tokenizerConfigJSON: nil)
        }
        #expect(throws: TokenizerError.unsupported(file: "tokenizer.json", field: "normalizer", value: #"{"type":"NFKC"}"#)) {
            try TokenizerSpec(
                huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer, normalizer: #"{"type": "NFKC"}"#),
                tokenizerConfigJSON: nil)
        }
        #expect(throws: TokenizerError.invalidJSON(file: "tokenizer.json", field: "model.vocab", problem: "no token has id 0 (ids must be 0..<267 without gaps)")) {
            try TokenizerSpec(
                huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer, vocab: #"{"a": 1}"#),
                tokenizerConfigJSON: nil)
        }
        let badConfig = Array(#"{"bos_token": "<s>"}"#.utf8)
        #expect(throws: TokenizerError.invalidJSON(file: "tokenizer_config.json", field: "bos_token", problem: "token <s> is not in the vocabulary")) {
            try TokenizerSpec(huggingFaceTokenizerJSON: Self.tokenizerJSON(preTokenizer: Self.gpt2PreTokenizer), tokenizerConfigJSON: badConfig)
        }
        #expect(throws: TokenizerError.self) {
            try TokenizerSpec(huggingFaceTokenizerJSON: Array("not json".utf8), tokenizerConfigJSON: nil)
        }
    }
}
