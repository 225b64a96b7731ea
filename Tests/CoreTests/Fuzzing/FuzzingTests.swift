import Foundation
import Testing
@testable import Core

/// Seeded mutation fuzzing of every reader of untrusted bytes (`FuzzTarget`): a fixed
/// number of mutants each, so `make test` stays quick; `make fuzz` runs the same targets
/// under libFuzzer for longer. Every seed must be accepted (else the campaign would
/// only test the first check of a reader), no mutant may break a target's property, and
/// none may take longer than the bound. With `REALIGN_FUZZ_CORPUS=DIR` the seeds are
/// also written to `DIR/<target>/` as libFuzzer's starting corpus.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct FuzzingTests {
    static let timeBound = Duration.seconds(2)

    func campaign(_ target: FuzzTarget, seeds: [[UInt8]], iterations: Int, seed: UInt64) throws {
        try Self.exportCorpus(target.name, seeds)
        let report = FuzzCampaign(target: target, seeds: seeds, seed: seed, timeBoundPerInput: Self.timeBound)
            .run(iterations: iterations)
        let seedOutcomes = try seeds.map { try target.run($0) }
        #expect(seedOutcomes.allSatisfy { $0 == .accepted }, "every seed of \(target.name) is a valid input")
        #expect(report.iterations == seeds.count + iterations)
        #expect(report.failures.map(\.description) == [])
        #expect(report.slowInputs.map { "\($0.time) for \(Data($0.input).base64EncodedString())" } == [])
        // Mutants must reach past the first checks: some are still accepted.
        #expect(report.accepted > seeds.count, "\(target.name): only \(report.accepted) of \(report.iterations) inputs accepted")
        print("fuzz \(target.name): \(report.iterations) inputs, \(report.accepted) accepted, slowest \(report.slowest)")
    }

    @Test func jobDecoder() throws {
        try campaign(.jobDecoder, seeds: FuzzSeeds.jobs(), iterations: 30_000, seed: 1)
    }

    @Test func gguf() throws {
        try campaign(.gguf, seeds: FuzzSeeds.gguf(), iterations: 15_000, seed: 2)
    }

    @Test func safetensors() throws {
        try campaign(.safetensors, seeds: try FuzzSeeds.safetensors(), iterations: 20_000, seed: 3)
    }

    @Test func tokenizerJSON() throws {
        try campaign(.tokenizerJSON, seeds: FuzzSeeds.tokenizerJSON(), iterations: 3000, seed: 4)
    }

    @Test func smolLM2TokenizerText() throws {
        let gguf = try GGUFFile(path: TestPaths.smolLM2)
        let tokenizer = try Tokenizer(spec: TokenizerSpec(gguf: gguf))
        try campaign(.tokenizerText(tokenizer), seeds: FuzzSeeds.texts(), iterations: 20_000, seed: 5)
    }

    @Test func mutatorIsDeterministicForASeed() {
        let input = Array("{\"a\": [1, 2, 3], \"b\": \"text\"}".utf8)
        func mutants(_ seed: UInt64) -> [[UInt8]] {
            var mutator = ByteMutator(seed: seed, dictionary: ["null", "1e308"])
            return (0..<50).map { _ in mutator.mutate(input, splicingWith: Array("[true]".utf8)) }
        }
        #expect(mutants(7) == mutants(7))
        #expect(mutants(7) != mutants(8))
        #expect(mutants(7).contains { $0 != input })
    }

    /// Writes `seeds` under `REALIGN_FUZZ_CORPUS/<name>/` when that is set.
    static func exportCorpus(_ name: String, _ seeds: [[UInt8]]) throws {
        guard let root = ProcessInfo.processInfo.environment["REALIGN_FUZZ_CORPUS"], !root.isEmpty else { return }
        let directory = "\(root)/\(name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (index, seed) in seeds.enumerated() {
            try Data(seed).write(to: URL(fileURLWithPath: "\(directory)/seed-\(index)"))
        }
    }
}

/// Inputs the fuzzers found (or that size fields make obvious), each refused with its
/// reason instead of crashing or allocating what a size field asks for.
@Suite struct FuzzRegressionTests {
    static func safetensors(header: String, dataBytes: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
            + [UInt8](repeating: 0, count: dataBytes)
    }

    func safetensorsProblem(_ bytes: [UInt8]) -> String? {
        do {
            _ = try SafetensorsFile(file: MappedFile(path: "x.safetensors", bytes: bytes))
            return nil
        } catch {
            return error.problem
        }
    }

    /// Offsets near Int.max used to overflow `data start + offset` (a trap) before the
    /// bounds check.
    @Test func safetensorsOffsetsNearIntMaxAreRefused() {
        let header = #"{"x":{"dtype":"U8","shape":[3],"data_offsets":[9223372036854775804,9223372036854775807]}}"#
        #expect(safetensorsProblem(Self.safetensors(header: header, dataBytes: 8))
            == "tensor x: data [9223372036854775804, 9223372036854775807) extends past the end of the data section (8 bytes)")
    }

    @Test func safetensorsFractionalAndBooleanShapesAreRefused() {
        for shape in ["2.5", "true"] {
            let header = #"{"x":{"dtype":"U8","shape":[\#(shape)],"data_offsets":[0,2]}}"#
            #expect(safetensorsProblem(Self.safetensors(header: header, dataBytes: 8))
                == "tensor x: shape entry \(shape) is not a valid dimension")
        }
    }

    @Test func safetensorsDuplicateTensorIsRefused() {
        let header = #"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        #expect(safetensorsProblem(Self.safetensors(header: header, dataBytes: 8)) == "header lists x twice")
    }

    /// An F32 tensor with no elements reads as no floats (it used to force-unwrap the
    /// address of an empty buffer).
    @Test func emptyF32TensorReadsAsNoFloats() throws {
        let file = try SafetensorsFile(file: MappedFile(path: "x.safetensors", bytes: Self.safetensors(
            header: #"{"x":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}}"#, dataBytes: 0)))
        #expect(try file.floats("x") == [])
    }

    /// A vocabulary id far beyond the number of tokens used to size the token table
    /// (`reserveCapacity(id + 1)`) and, for an added token, to trap in `Int32(id)`:
    /// refused as the gap it implies before anything is allocated.
    @Test func tokenizerJSONHugeIdIsRefusedBeforeAllocating() {
        for (json, expected) in [
            (#"{"model": {"type": "BPE", "vocab": {"a": 9000000000000000000}, "merges": []}}"#,
             "tokenizer.json: field model.vocab: no token has id 0 (ids must be 0..<9000000000000000001 without gaps)"),
            (#"{"added_tokens": [{"id": 4611686018427387904, "content": "x"}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}"#,
             "tokenizer.json: field model.vocab: no token has id 1 (ids must be 0..<4611686018427387905 without gaps)"),
        ] {
            let error = #expect(throws: TokenizerError.self) {
                try TokenizerSpec(huggingFaceTokenizerJSON: Array(json.utf8), tokenizerConfigJSON: nil)
            }
            #expect(error?.description == expected)
        }
    }

    /// `block_count` used to size the layer table before any tensor was looked at: a
    /// negative one trapped, a huge one asked for that many layers.
    @Test func ggufLayerCountBeyondTheTensorsIsRefused() throws {
        for blockCount in [GGUFValue.int64(-1), .uint64(1 << 40), .uint32(0)] {
            let gguf = try GGUFFile(file: MappedFile(path: "m.gguf", bytes: FuzzSeeds.ggufModel(blockCount: blockCount)))
            let error = #expect(throws: FileError.self) { try ModelWeights(gguf: gguf) }
            #expect(error?.problem == "block_count \(blockCount.integer!) is not a layer count for 2 tensors")
        }
    }

    @Test func huggingFaceLayerCountBeyondTheTensorsIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-hf-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = TestPaths.fixture("tiny-llama")
        try FileManager.default.createSymbolicLink(atPath: "\(directory)/model.safetensors", withDestinationPath: "\(fixture)/model.safetensors")
        let config = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(fixture)/config.json"))))
        let members = try #require(config.objectMembers).map {
            $0.key == "num_hidden_layers" ? JSONMember($0.key, .integer(1 << 50)) : $0
        }
        try Data(JSONValue.object(members).jsonBytes).write(to: URL(fileURLWithPath: "\(directory)/config.json"))
        let error = #expect(throws: FileError.self) { try ModelWeights(huggingFace: HuggingFaceDirectory(path: directory)) }
        #expect(error?.problem.hasPrefix("num_hidden_layers 1125899906842624 is not a layer count for ") == true)
    }

    @Test func inMemoryFileReadsLikeAMappedOne() throws {
        let bytes = try FuzzSeeds.safetensors()[1]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let mapped = try SafetensorsFile(path: path)
        let held = try SafetensorsFile(file: MappedFile(path: path, bytes: bytes))
        #expect(mapped.tensors == held.tensors)
        #expect(try mapped.floats("f32") == held.floats("f32"))
        #expect(try held.floats("f16") == [1, -2])
        #expect(try held.int64s("i64") == [-1, 0, 1 << 40])
    }
}
