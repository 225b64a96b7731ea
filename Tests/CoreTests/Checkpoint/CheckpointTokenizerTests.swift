import Foundation
import Testing
@testable import Core

/// A GGUF student's tokenizer written out as Hugging Face files: read back (by
/// `TokenizerSpec` and by `ServedModel` loading the checkpoint) it is the same tokenizer.
@Suite("Checkpoint tokenizer files", .enabled(if: FileManager.default.fileExists(atPath: TestPaths.smolLM2)))
struct CheckpointTokenizerTests {
    static let texts = [
        "Hello, world! It's 2024 and 12345 apples cost $3.50.",
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4.<|im_end|>",
        "  leading spaces, tabs\tand\nnewlines\n\n  café naïve 東京 🙂",
        "don't won't I'm you'll they've",
    ]

    @Test("SmolLM2's GGUF tokenizer round-trips through tokenizer.json and loads back in ServedModel")
    func smolLM2RoundTrip() throws {
        let gguf = try GGUFFile(path: TestPaths.smolLM2)
        let spec = try TokenizerSpec(gguf: gguf)
        let template = try #require(try gguf.string("tokenizer.chat_template"))
        let files = try HuggingFaceTokenizerFiles.from(spec: spec, chatTemplate: template, contextLength: 8192)
        #expect(Set(files.files.keys) == ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"])

        let reread = try TokenizerSpec(huggingFaceTokenizerJSON: files.files["tokenizer.json"]!,
                                       tokenizerConfigJSON: files.files["tokenizer_config.json"]!)
        #expect(reread == spec)

        // A whole checkpoint directory (tiny weights, SmolLM2's tokenizer) served by realign.
        let directory = try TinyTeacherOutput.temporaryDirectory("tokenizer") + "/final"
        let model = CheckpointModel(tokenizer: files, bosTokenID: spec.bosTokenId, eosTokenIDs: [2])
        try TrainingCheckpoint.writeModel(try TinyModelFixture.weights("tiny-llama"), model: model, to: directory)
        let served = try ServedModel.load(name: "checkpoint", path: directory)
        let original = try Tokenizer(spec: spec)
        #expect(served.tokenizer.spec == spec)
        #expect(served.tokenizer.contentSHA256 == original.contentSHA256)
        for text in Self.texts {
            #expect(served.tokenizer.encode(text) == original.encode(text), "\(text)")
        }
        let messages = [ChatMessage(role: "user", content: "Hi")]
        let rendered = try #require(served.chatTemplate).render(messages: messages, addGenerationPrompt: true, variables: [:])
        #expect(rendered == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(served.endOfTurnTokenID == 2 && served.stopTokenIDs == [2])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/tokenizer_config.json"))) as? [String: Any]
        #expect(config?["chat_template"] as? String == template)
        #expect(config?["eos_token"] as? String == "<|im_end|>" && config?["add_bos_token"] as? Bool == false)
    }
}
