import Foundation

/// One reader of untrusted bytes, as a fuzzer drives it: `run` feeds it an input and
/// checks what must hold whatever the input. Refusing an input with the reader's typed
/// error is fine; crashing, hanging or breaking a stated property is not. The same
/// targets serve the seeded mutation runs of `make test` (`FuzzCampaign`) and the
/// libFuzzer runs of `make fuzz` (`Fuzz/FuzzEntry.swift`).
public struct FuzzTarget: Sendable {
    public enum Outcome: Sendable, Equatable {
        case accepted, refused
    }

    public let name: String
    /// Tokens worth inserting for this format (`ByteMutator`'s dictionary).
    public let dictionary: [String]
    private let body: @Sendable ([UInt8]) throws(FuzzFailure) -> Outcome

    public init(name: String, dictionary: [String], body: @escaping @Sendable ([UInt8]) throws(FuzzFailure) -> Outcome) {
        self.name = name
        self.dictionary = dictionary
        self.body = body
    }

    public func run(_ input: [UInt8]) throws(FuzzFailure) -> Outcome {
        try body(input)
    }

    /// The fixed clock of the job targets, so that `deadline_ms` decides the same way on
    /// every run.
    static let fuzzNowMs: Int64 = 1_700_000_000_000

    static let jsonDictionary = [
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "false", "-1", "0", "1e308", "-0.0", "NaN",
        "Infinity", "9223372036854775807", "9223372036854775808", "18446744073709551616", "2147483648",
        "1e-400", "\\u0000", "\\ud800", "\"\\uDFFF\"", "[[[[[[[[[[[[[[[[", "{\"a\":", "\u{FEFF}",
    ]

    /// `JobDecoder` (envelope, teacher body and the peek used for error replies). A job it
    /// accepts must survive `TeacherJob.jsonBytes` unchanged: what the coordinator writes
    /// is what the worker reads.
    public static let jobDecoder = FuzzTarget(name: "job-decoder", dictionary: jsonDictionary + [
        "\"schema\"", "\"kind\"", "\"teacher\"", "\"generate\"", "\"reply_to\"", "\"deadline_ms\"", "\"lambdas\"",
        "\"lambda\"", "\"control\"", "\"top_k\"", "\"sequences\"", "\"input_ids\"", "\"prompt_len\"", "\"messages\"",
        "\"role\"", "\"content\"", "\"assistant\"", "\"cutoff_len\"", "\"aligned_system\"",
    ]) { (input: [UInt8]) throws(FuzzFailure) -> Outcome in
        _ = JobDecoder.peekEnvelope(input)
        _ = try? JobDecoder.decodeEnvelope(input, nowMs: fuzzNowMs)
        let job: TeacherJob
        do {
            job = try JobDecoder.decode(input, nowMs: fuzzNowMs)
        } catch {
            return .refused
        }
        let again: TeacherJob
        do {
            again = try JobDecoder.decode(job.jsonBytes(), nowMs: fuzzNowMs)
        } catch {
            throw FuzzFailure(target: "job-decoder", problem: "the job's own JSON is refused: \(error)", input: input)
        }
        guard again == job else {
            throw FuzzFailure(target: "job-decoder", problem: "the job read back from its own JSON differs", input: input)
        }
        return .accepted
    }

    /// `GGUFFile`, then everything read from one: every tensor's data dequantised, the
    /// model configuration and weights, the tokenizer. Every tensor must lie inside the file and
    /// dequantise to exactly its element count.
    public static let gguf = FuzzTarget(name: "gguf", dictionary: ["GGUF", "general.alignment", "tokenizer.ggml.tokens",
                                                                  "general.architecture", "llama", "qwen2", "gpt2"]) {
        (input: [UInt8]) throws(FuzzFailure) -> Outcome in
        let file: GGUFFile
        do {
            file = try GGUFFile(file: MappedFile(path: "fuzz.gguf", bytes: input))
        } catch {
            return .refused
        }
        for tensor in file.tensors {
            guard tensor.byteRange.lowerBound >= file.dataSectionOffset, tensor.byteRange.upperBound <= input.count else {
                throw FuzzFailure(target: "gguf", problem: "tensor \(tensor.name) has data \(tensor.byteRange) outside the file", input: input)
            }
            guard let floats = try? file.floats(tensor.name) else { continue }
            guard floats.count == tensor.elementCount else {
                throw FuzzFailure(target: "gguf", problem: "tensor \(tensor.name) gave \(floats.count) floats for \(tensor.elementCount) elements", input: input)
            }
        }
        _ = try? ModelConfig(gguf: file)
        _ = try? ModelWeights(gguf: file)
        if let spec = try? TokenizerSpec(gguf: file), let tokenizer = try? Tokenizer(spec: spec) {
            _ = tokenizer.decode(tokenizer.encode("Hello, world! 123"))
        }
        return .accepted
    }

    /// `SafetensorsFile`, every tensor read as its dtype allows, and the teacher reply
    /// decoder on top of it (`TeacherTargets(safetensors:)`, what the coordinator runs on
    /// every reply).
    public static let safetensors = FuzzTarget(name: "safetensors", dictionary: jsonDictionary + [
        "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"I32\"",
    ]) { (input: [UInt8]) throws(FuzzFailure) -> Outcome in
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(file: MappedFile(path: "fuzz.safetensors", bytes: input))
        } catch {
            return .refused
        }
        for name in file.tensorNames {
            guard let info = try? file.info(name) else { continue }
            guard info.byteRange.upperBound <= input.count else {
                throw FuzzFailure(target: "safetensors", problem: "tensor \(name) has data \(info.byteRange) outside the file", input: input)
            }
            let count = (try? file.floats(name))?.count ?? (try? file.int32s(name))?.count
            if let count, count != info.elementCount {
                throw FuzzFailure(target: "safetensors", problem: "tensor \(name) gave \(count) values for \(info.elementCount) elements", input: input)
            }
        }
        _ = try? TeacherTargets(safetensors: file)
        return .accepted
    }

    /// A Hugging Face `tokenizer.json` read into a tokenizer, which then encodes and
    /// decodes a fixed text.
    public static let tokenizerJSON = FuzzTarget(name: "tokenizer-json", dictionary: jsonDictionary + [
        "\"model\"", "\"vocab\"", "\"merges\"", "\"added_tokens\"", "\"id\"", "\"content\"", "\"pre_tokenizer\"",
        "\"ByteLevel\"", "\"Sequence\"", "\"BPE\"",
    ]) { (input: [UInt8]) throws(FuzzFailure) -> Outcome in
        guard let spec = try? TokenizerSpec(huggingFaceTokenizerJSON: input, tokenizerConfigJSON: nil),
              let tokenizer = try? Tokenizer(spec: spec) else { return .refused }
        let ids = tokenizer.encode("Hello, world! 123 \u{1F600}")
        guard ids.allSatisfy({ $0 >= 0 && Int($0) < tokenizer.tokenCount }) else {
            throw FuzzFailure(target: "tokenizer-json", problem: "encoding gave an id outside the vocabulary", input: input)
        }
        _ = tokenizer.decode(ids)
        return .accepted
    }

    /// Text (the input read as UTF-8, invalid sequences replaced) through `tokenizer`:
    /// decoding what it encodes gives the text back, less the bytes the vocabulary has no
    /// token for. The input read as little-endian Int32 ids must decode without a crash
    /// (ids outside the vocabulary contribute nothing).
    public static func tokenizerText(_ tokenizer: Tokenizer) -> FuzzTarget {
        let missingBytes = Set((0...255).map(UInt8.init).filter {
            tokenizer.id(of: String(ByteLevelAlphabet.characterForByte[Int($0)])) == nil
        })
        let specials = (0..<Int32(tokenizer.tokenCount)).filter(tokenizer.isSpecial).compactMap(tokenizer.token(of:))
        return FuzzTarget(name: "tokenizer-text", dictionary: specials + ["\r\n", "  ", "123", "'s", "\u{1F600}", "\u{0301}"]) {
            (input: [UInt8]) throws(FuzzFailure) -> Outcome in
            let text = String(decoding: input, as: UTF8.self)
            let ids = tokenizer.encode(text)
            let expected = text.utf8.filter { !missingBytes.contains($0) }
            let decoded = tokenizer.decodeBytes(ids)
            guard decoded == expected else {
                throw FuzzFailure(target: "tokenizer-text", problem: "decoding the encoded text gave \(decoded.count) bytes, not the \(expected.count) of the text", input: input)
            }
            let rawIDs = stride(from: 0, to: input.count - input.count % 4, by: 4).map { offset in
                Int32(bitPattern: UInt32(input[offset]) | UInt32(input[offset + 1]) << 8 | UInt32(input[offset + 2]) << 16 | UInt32(input[offset + 3]) << 24)
            }
            _ = tokenizer.decode(rawIDs, skipSpecial: true)
            return .accepted
        }
    }
}

/// An input that broke a target's property (a crash or a hang is caught by the runner).
public struct FuzzFailure: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var problem: String
    public var input: [UInt8]

    public init(target: String, problem: String, input: [UInt8]) {
        self.target = target
        self.problem = problem
        self.input = input
    }

    public var description: String {
        "\(target): \(problem) (input of \(input.count) bytes, base64 \(Data(input).base64EncodedString()))"
    }
}
