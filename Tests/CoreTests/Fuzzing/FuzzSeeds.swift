import Foundation
@testable import Core

/// Valid inputs the fuzz campaigns start from, one set per target: small, but reaching
/// every part of each reader (every GGUF value type and a few tensor types, every
/// sequence form of a job, a teacher reply, a tokenizer with merges and added tokens).
enum FuzzSeeds {
    static func jobs() -> [[UInt8]] {
        let replyTo = "realign.replies.fuzz"
        let bodies = [
            BadJobCase.teacherBody(),
            BadJobCase.teacherBody(lambdas: #""lambda": 1.5"#, topK: "4", sequences: BadJobCase.tokens([1, 2, 3, 4], promptLen: 2)),
            BadJobCase.teacherBody(alignedSystem: "Be kind.", lambdas: #""control": [0.0, -1.25]"#, sequences:
                #"{"id": 7, "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "héllo"}, {"role": "assistant", "content": "ok"}]}"#)
                + #", "cutoff_len": 64"#,
        ]
        return bodies.enumerated().map { index, body in
            Array(BadJobCase.jobText(id: "fuzz-\(index)", replyTo: replyTo, deadline: index == 1 ? "1800000000000" : "0", body: body).utf8)
        }
    }

    static func gguf() -> [[UInt8]] {
        var everyType = GGUFTestFile()
        everyType.version = 2
        for (key, value) in [
            ("u8", GGUFValue.uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60000)), ("i16", .int16(-30000)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("u64", .uint64(1 << 40)),
            ("i64", .int64(-(1 << 40))), ("f32", .float32(0.1)), ("f64", .float64(-2.5)), ("yes", .bool(true)),
            ("text", .string("héllo")),
            ("nested", .array(elementType: .array, values: [.array(elementType: .string, values: [.string("a"), .string("bc")])])),
        ] { everyType.add(key, value) }
        everyType.addF32("weights", dimensions: [4, 2], values: [1, -2, 3, -4, 0.5, 0.25, 8, 16])
        return [everyType.bytes, ggufModel(blockCount: .uint32(1))]
    }

    /// A llama configuration with a byte-level tokenizer and two of its tensors (a Q8_0
    /// embedding block and an F16 norm), not enough to load weights from.
    static func ggufModel(blockCount: GGUFValue) -> [UInt8] {
        var model = GGUFTestFile()
        model.add("general.architecture", .string("llama"))
        model.add("general.alignment", .uint32(16))
        for (key, value) in [("embedding_length", 8), ("attention.head_count", 2), ("attention.head_count_kv", 1),
                             ("feed_forward_length", 16), ("context_length", 32)] {
            model.add("llama.\(key)", .uint32(UInt32(value)))
        }
        model.add("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        let tokens = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) } + ["Ġt", "<|end|>"]
        model.add("tokenizer.ggml.model", .string("gpt2"))
        model.add("tokenizer.ggml.pre", .string("smollm"))
        model.add("tokenizer.ggml.tokens", .array(elementType: .string, values: tokens.map { .string($0) }))
        model.add("tokenizer.ggml.token_type", .array(elementType: .int32, values: tokens.indices.map { .int32($0 == 257 ? 3 : 1) }))
        model.add("tokenizer.ggml.merges", .array(elementType: .string, values: [.string("Ġ t")]))
        model.add("tokenizer.ggml.eos_token_id", .uint32(257))
        // One Q8_0 block (f16 scale 1.0, then 32 int8 values) and one F16 row.
        let q8Block = GGUFTestFile.le(Float16(1).bitPattern) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        model.tensors.append(.init(name: "token_embd.weight", type: .q8_0, dimensions: [32, 1], data: q8Block))
        model.tensors.append(.init(name: "output_norm.weight", type: .f16, dimensions: [8],
                                   data: (0..<8).flatMap { GGUFTestFile.le(Float16(Float($0) / 4).bitPattern) }))
        model.add("llama.block_count", blockCount)
        return model.bytes
    }

    static func safetensors() throws -> [[UInt8]] {
        let reply = try TeacherTargetsSamples.make([("a", [1, 2, 3, 4], 2), ("b", [5, 6, 7], 1)]).serialized()
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        try writer.add("f32", shape: [2, 2], float32: [1, 2, 3, 4])
        try writer.add("i64", shape: [3], int64: [-1, 0, 1 << 40])
        try writer.add(.init(name: "f16", dtype: .f16, shape: [2]), bytes: [0x00, 0x3c, 0x00, 0xc0])
        try writer.add(.init(name: "bf16", dtype: .bf16, shape: [2]), bytes: [0x80, 0x3f, 0x00, 0x40])
        try writer.add(.init(name: "u8", dtype: .u8, shape: [3]), bytes: [1, 2, 255])
        try writer.add("empty", shape: [0, 4], float32: [])
        return [reply, writer.serialized()]
    }

    /// A byte-level vocabulary with two merges and an added token.
    static func tokenizerSpec() -> TokenizerSpec {
        let tokens = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) } + ["Ġt", "Ġth", "<|im_end|>"]
        return TokenizerSpec(tokens: tokens, merges: ["Ġ t", "Ġt h"], specialTokenIds: [258], preTokenizer: .smollm,
                             bosTokenId: nil, eosTokenId: 258, addBOS: false)
    }

    static func tokenizerJSON() -> [[UInt8]] {
        var qwen = tokenizerSpec()
        qwen.preTokenizer = .qwen2
        return [tokenizerSpec(), qwen].map { spec in
            // The spec is built above and always writes; its tokens are distinct.
            try! HuggingFaceTokenizerFiles.from(spec: spec, chatTemplate: nil, contextLength: 64).files["tokenizer.json"]!
        }
    }

    static func texts() -> [[UInt8]] {
        [
            "Hello, world! It's 2024: 3.14159 and 1,000,000.",
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4.<|im_end|>",
            "  spaces\t\ttabs\r\nnewlines\n\n\u{1F600} émoji, 日本語, e\u{0301}",
        ].map { Array($0.utf8) } + [[0xff, 0xfe, 0x00, 0x04, 0xc3, 0x28, 0xe2, 0x82]]
    }
}
