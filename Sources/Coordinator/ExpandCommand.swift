import Core
import Foundation

/// `realign expand`: a model with an identity InRa adapter in front of its first layer,
/// as a Hugging Face directory (or the adapter layer alone).
enum ExpandCommand {
    static let spec = CommandSpec(
        name: "expand",
        summary: "write an InRa model: an identity layer adapter before layer 0",
        usage: "realign expand --model PATH --out DIR [--dtype f32|bf16|f16] [--adapter-only]",
        options: [
            .init("model", short: "m", value: "PATH", help: "The base model: a GGUF file or a Hugging Face directory."),
            .init("out", short: "o", value: "DIR", help: "The directory to write (created if missing)."),
            .init("dtype", value: "TYPE", help: "Weight type of the written tensors: f32 (default), bf16 or f16."),
            .init("adapter-only", help: "Write only adapter.safetensors, to serve next to the base model (realign-worker --adapter)."),
            .init("force", help: "Write into a directory that already holds files."),
        ],
        epilog: """
        The directory holds num_hidden_layers + 1 layers: layer 0 is a copy of the base's \
        layer 0 with self_attn.o_proj and mlp.down_proj zero (so the model starts out equal \
        to its base), then the base's layers; config.json records the adapter under \
        realign_inra, and the tokenizer, chat template and generation config come along. \
        Hugging Face transformers loads it as an ordinary model (the aligned stream). A \
        quantised GGUF base is dequantised; --adapter-only keeps the base as it is.
        Exit status: 0 written, 1 failure (unreadable model, unwritable directory), 2 usage error.
        """)

    static let dtypes: [String: SafetensorsDType] = ["f32": .f32, "bf16": .bf16, "f16": .f16]

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            let modelPath = try arguments.required("model")
            let out = try arguments.required("out")
            let dtypeName = arguments.string("dtype") ?? "f32"
            guard let dtype = dtypes[dtypeName.lowercased()] else {
                throw UsageError(command: spec.name, message: "--dtype \(dtypeName) is not one of f32, bf16, f16")
            }
            if !arguments.has("force"), let existing = try? FileManager.default.contentsOfDirectory(atPath: out), !existing.isEmpty {
                throw UsageError(command: spec.name, message: "\(out) is not empty (--force writes into it)")
            }
            let started = Date()
            let model = try ModelLoader.load(path: modelPath)
            let written = try InRaExpansion.expand(model, into: out, dtype: dtype, adapterOnly: arguments.has("adapter-only"))
            for path in written { print(path) }
            Log.info("expanded", [
                "model": .string(modelPath), "out": .string(out), "dtype": .string(dtype.rawValue),
                "layers": .integer(Int64(model.weights.config.layerCount + 1)),
                "seconds": .double(Date().timeIntervalSince(started)),
            ])
            return .success
        }
    }
}
