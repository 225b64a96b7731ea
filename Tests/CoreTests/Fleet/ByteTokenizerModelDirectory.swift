import Foundation
@testable import Core

/// A servable model whose tokenizer differs from SmolLM2's, for `tokenizer_mismatch`:
/// the tiny Qwen2 fixture (shipped without a tokenizer) linked into a directory of its
/// own beside a byte-level `tokenizer.json` over its 256-token vocabulary, one token per
/// byte and no merges. Its end-of-turn token is the config's `eos_token_id` (2).
enum ByteTokenizerModelDirectory {
    /// Creates the directory at `path` (which must not exist yet) and returns it.
    static func make(at path: String) throws -> String {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: path, withIntermediateDirectories: false)
        let fixture = TestPaths.fixture("tiny-qwen2")
        for name in ["config.json", "model.safetensors"] {
            try fileManager.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: "\(fixture)/\(name)")
        }
        var vocab: [JSONMember] = []
        for byte in 0...255 {
            vocab.append(JSONMember(ByteLevelAlphabet.encode([UInt8(byte)]), .integer(Int64(byte))))
        }
        let tokenizer = JSONValue.object([
            JSONMember("version", .string("1.0")),
            JSONMember("added_tokens", .array([])),
            JSONMember("normalizer", .null),
            JSONMember("pre_tokenizer", .object([
                JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(false)),
                JSONMember("trim_offsets", .bool(true)), JSONMember("use_regex", .bool(true)),
            ])),
            JSONMember("decoder", .object([JSONMember("type", .string("ByteLevel"))])),
            JSONMember("model", .object([
                JSONMember("type", .string("BPE")), JSONMember("byte_fallback", .bool(false)),
                JSONMember("vocab", .object(vocab)), JSONMember("merges", .array([])),
            ])),
        ])
        try Data(tokenizer.jsonBytes).write(to: URL(fileURLWithPath: "\(path)/tokenizer.json"))
        return path
    }
}
