import Core
import Foundation

/// `realign bench`: our side of `make bench` - the machine's ceilings and the product's
/// figures (teacher forcing, decode, worker memory, the fleet), as one JSON document
/// that `bench/peers.py` and `bench/report.py` put next to the peers' figures.
enum BenchCommand {
    static let sections = ["ceiling", "forward", "decode", "memory", "fleet"]

    static let spec = CommandSpec(
        name: "bench",
        summary: "measure sgemm and memory ceilings, teacher forcing, decode, worker memory and the fleet",
        usage: "realign bench [--model GGUF] [--threads N] [--out FILE] [options]",
        options: [
            .init("model", short: "m", value: "GGUF", help: "The model (default models/SmolLM2-135M-Instruct.Q4_1.gguf).", environment: "REALIGN_MODEL"),
            .init("data", short: "d", value: "FILE", help: "Alpaca JSON: the text of the sequences and the fleet's records (default data/alpaca_en_demo.json)."),
            .init("threads", short: "t", value: "N", help: "Compute threads of every in-process figure and of the memory workers (default: all cores)."),
            .init("lengths", value: "N,...", help: "Teacher-forcing sequence lengths (default 128,512,2048)."),
            .init("decode-tokens", value: "N", help: "Tokens generated after a prompt of as many tokens (default 128)."),
            .init("fleet-records", value: "N", help: "Records of the timed fleet runs (default 64, the demo's run)."),
            .init("memory-sequences", value: "N", help: "512-token sequences of the worker-memory runs (default 8)."),
            .init("sections", value: "LIST", help: "Which figures: ceiling,forward,decode,memory,fleet (default all)."),
            .init("work-dir", value: "DIR", help: "Scratch space for fleet runs and the adapter file (default .build/bench)."),
            .init("out", short: "o", value: "FILE", help: "Write the JSON here (default: standard output)."),
        ],
        epilog: """
        Times are of the fastest repetition (means are in the JSON too). Figures: OpenBLAS sgemm GFLOP/s at every matrix product of the forward pass and at \
        1024^3; a streaming-read bandwidth; tokens/s and GFLOP/s of a full-sequence forward \
        (logits at every position; FLOPs 2mnk per product, causal attention at half); greedy \
        decode, plain and InRa (identity adapter, lambda 0.5: two streams); the peak RSS \
        (VmHWM) of a worker process serving 512-token teacher jobs, plain and InRa (GGUF + \
        adapter-only file). Decode, worker memory and the full-sequence forward are measured for \
        both weight precisions: exact (dequantised to f32) and quantized (the file's blocks kept \
        mapped, products of many rows in int8 on AVX-512 VNNI CPUs; the workers get \
        REALIGN_WEIGHTS). The fleet runs on exact weights: teacher runs \
        of the demo's settings on 1 and 2 worker processes of one thread each, after a warm-up \
        run, with the forward-pass time the workers log.
        Exit status: 0 measured, 1 failure, 2 usage error.
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            func usage(_ message: String) -> UsageError { UsageError(command: spec.name, message: message) }
            let modelPath = arguments.string("model") ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"
            let dataPath = arguments.string("data") ?? "data/alpaca_en_demo.json"
            let threads = try arguments.int("threads", in: 1...1024) ?? ProcessInfo.processInfo.activeProcessorCount
            let lengthTexts = arguments.strings("lengths").flatMap { $0.split(separator: ",") }
            let lengths = lengthTexts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard lengths.count == lengthTexts.count, lengths.allSatisfy({ (2...8192).contains($0) }) else {
                throw usage("--lengths must be whole numbers of tokens in 2...8192, got \(arguments.strings("lengths").joined(separator: ","))")
            }
            let decodeTokens = try arguments.int("decode-tokens", in: 1...4096) ?? 128
            let fleetRecords = try arguments.int("fleet-records", in: 2...100_000) ?? 64
            let memorySequences = try arguments.int("memory-sequences", in: 1...1024) ?? 8
            let chosen = arguments.string("sections").map { $0.split(separator: ",").map(String.init) } ?? sections
            if let unknown = chosen.first(where: { !sections.contains($0) }) {
                throw usage("--sections: \(unknown) is not one of \(sections.joined(separator: ", "))")
            }
            let workDirectory = arguments.string("work-dir") ?? ".build/bench"
            let settings = Settings(
                modelPath: modelPath, dataPath: dataPath, threads: threads,
                lengths: lengths.isEmpty ? [128, 512, 2048] : lengths, decodeTokens: decodeTokens,
                fleetRecords: fleetRecords, memorySequences: memorySequences, workDirectory: workDirectory)

            ComputeThreads.set(threads)
            let document = try await measure(settings, sections: Set(chosen))
            let bytes = Data((document.jsonText + "\n").utf8)
            if let out = arguments.string("out") {
                guard FileManager.default.createFile(atPath: out, contents: bytes) else { throw BenchmarkError("cannot write \(out)") }
            } else {
                FileHandle.standardOutput.write(bytes)
            }
            return .success
        }
    }

    struct Settings {
        var modelPath: String
        var dataPath: String
        var threads: Int
        var lengths: [Int]
        var decodeTokens: Int
        var fleetRecords: Int
        var memorySequences: Int
        var workDirectory: String
    }

    /// Each figure in turn (never two at once: they share the cores), as JSON.
    static func measure(_ settings: Settings, sections: Set<String>) async throws -> JSONValue {
        let file = try ModelLoader.load(path: settings.modelPath)
        guard let spec = file.tokenizer else { throw BenchmarkError("\(settings.modelPath) is not a GGUF file with a tokenizer") }
        let tokenizer = try Tokenizer(spec: spec)
        let config = file.weights.config
        let longest = settings.lengths.max()!
        let memorySequences = settings.memorySequences
        let ids = try BenchmarkText.tokens(
            dataPath: settings.dataPath, tokenizer: tokenizer,
            count: max(longest, 2 * settings.decodeTokens, memorySequences * 512))
        let ggufBytes = try fileSize(settings.modelPath)
        // The same file a second time, its blocks kept mapped: decode's fast path.
        let quantized = try ModelLoader.load(path: settings.modelPath, precision: .quantized)
        var members: [JSONMember] = [
            JSONMember("machine", .string(MachineDescription.current)),
            JSONMember("date", .string(Date().ISO8601Format())),
            JSONMember("threads", .integer(Int64(settings.threads))),
            JSONMember("model", .string(settings.modelPath)),
            JSONMember("gguf_bytes", .integer(Int64(ggufBytes))),
            JSONMember("vocab_size", .integer(Int64(config.vocabSize))),
            JSONMember("f32_weight_bytes", .integer(Int64(WeightFootprint.bytes(of: file.weights)))),
            JSONMember("quantized_weight_bytes", .integer(Int64(WeightFootprint.bytes(of: quantized.weights)))),
            JSONMember("inputs", object([
                "ids": .array(ids.map { .integer(Int64($0)) }),
                "lengths": .array(settings.lengths.map { .integer(Int64($0)) }),
                "decode_prompt_tokens": .integer(Int64(settings.decodeTokens)),
                "decode_tokens": .integer(Int64(settings.decodeTokens)),
            ])),
        ]
        var forwardCeilings: [Int: Double] = [:]
        if sections.contains("ceiling") {
            let (json, ceilings) = measureCeiling(config: config, lengths: settings.lengths)
            forwardCeilings = ceilings
            members.append(JSONMember("ceiling", json))
        }
        if sections.contains("forward") {
            members.append(JSONMember("teacher_forward", measureForward(
                Transformer(weights: file.weights), precision: .exact, ids: ids, lengths: settings.lengths, ceilings: forwardCeilings)))
            members.append(JSONMember("teacher_forward_quantized", measureForward(
                Transformer(weights: quantized.weights), precision: .quantized, ids: ids, lengths: settings.lengths,
                ceilings: forwardCeilings)))
        }
        if sections.contains("decode") {
            let prompt = Array(ids.prefix(settings.decodeTokens))
            var decode: [JSONMember] = []
            for (precision, weights) in [(WeightPrecision.exact, file.weights), (.quantized, quantized.weights)] {
                decode.append(JSONMember(precision.rawValue, try measureDecode(
                    weights, precision: precision, prompt: prompt, tokens: settings.decodeTokens)))
            }
            members.append(JSONMember("decode", .object(decode)))
        }
        if sections.contains("memory") {
            members.append(JSONMember("worker_memory", try await measureMemory(
                file, settings: settings, sequences: (0..<memorySequences).map { Array(ids[$0 * 512..<($0 + 1) * 512]) })))
        }
        if sections.contains("fleet") {
            members.append(JSONMember("fleet", try await measureFleet(settings)))
        }
        return .object(members)
    }

    /// sgemm at every product shape of the forward pass at each length, and 1024^3; the
    /// ceiling of each length's mix of products; the streaming-read bandwidth.
    static func measureCeiling(config: ModelConfig, lengths: [Int]) -> (JSONValue, [Int: Double]) {
        var rows: [JSONValue] = []
        var ceilings: [Int: Double] = [:]
        var ceilingRows: [JSONMember] = []
        for length in lengths {
            let products = MatrixProduct.teacherForward(config: config, tokens: length, headRows: length)
            var rates: [String: Double] = [:]
            for product in products {
                let rate = SgemmBenchmark.gflops(m: product.m, n: product.n, k: product.k)
                rates[product.name] = rate
                progress("sgemm \(product.name) \(product.m)x\(product.n)x\(product.k): \(format(rate)) GFLOP/s")
                rows.append(object([
                    "tokens": .integer(Int64(length)), "product": .string(product.name),
                    "m": .integer(Int64(product.m)), "n": .integer(Int64(product.n)), "k": .integer(Int64(product.k)),
                    "gflops": .double(rate),
                ]))
            }
            ceilings[length] = SgemmBenchmark.ceiling(of: products, rates: rates)
            ceilingRows.append(JSONMember(String(length), .double(ceilings[length]!)))
        }
        let square = SgemmBenchmark.gflops(m: 1024, n: 1024, k: 1024)
        progress("sgemm 1024^3: \(format(square)) GFLOP/s")
        let bandwidth = MemoryBandwidth.streamingRead()
        progress("streaming read: \(format(bandwidth)) GB/s")
        return (object([
            "sgemm": .array(rows), "sgemm_1024_gflops": .double(square),
            "forward_ceiling_gflops": .object(ceilingRows), "memory_read_gb_per_s": .double(bandwidth),
        ]), ceilings)
    }

    static func measureForward(_ transformer: Transformer, precision: WeightPrecision, ids: [Int32], lengths: [Int],
                               ceilings: [Int: Double]) -> JSONValue {
        .array(lengths.map { length in
            let run = ForwardBenchmark.measure(transformer: transformer, ids: Array(ids.prefix(length)), minimumSeconds: 3)
            progress("forward \(length) tokens, \(precision.rawValue) weights: \(format(run.tokensPerSecond)) tokens/s, \(format(run.gflops)) GFLOP/s")
            var fields: [JSONMember] = [
                JSONMember("tokens", .integer(Int64(length))), JSONMember("repetitions", .integer(Int64(run.repetitions))),
                JSONMember("seconds", .double(run.seconds)), JSONMember("mean_seconds", .double(run.meanSeconds)),
                JSONMember("tokens_per_second", .double(run.tokensPerSecond)),
                JSONMember("flops", .double(run.flops)), JSONMember("gflops", .double(run.gflops)),
                JSONMember("argmax", .array(run.argmax.map { .integer(Int64($0)) })),
            ]
            if let ceiling = ceilings[length] { fields.append(JSONMember("ceiling_share", .double(run.gflops / ceiling))) }
            return .object(fields)
        })
    }

    /// Plain decode, and InRa decode with an identity adapter at lambda 0.5 (both
    /// streams run; the identity adapter makes them agree, so the tokens must be the
    /// plain ones), on weights held at `precision`.
    static func measureDecode(_ weights: ModelWeights, precision: WeightPrecision, prompt: [Int32], tokens: Int) throws -> JSONValue {
        let plain = try DecodeBenchmark.measure(model: .plain(Transformer(weights: weights)), prompt: prompt,
                                                tokens: tokens, repetitions: 3)
        progress("decode plain, \(precision.rawValue) weights: \(format(plain.tokensPerSecond)) tokens/s")
        let inraModel = InRaModel(base: weights, adapter: InRaAdapter.identity(copying: weights.layers[0]))
        let inra = try DecodeBenchmark.measure(model: .inra(inraModel), prompt: prompt, tokens: tokens, lambda: 0.5, repetitions: 3)
        progress("decode InRa, \(precision.rawValue) weights: \(format(inra.tokensPerSecond)) tokens/s")
        func json(_ run: DecodeBenchmark.Measurement) -> JSONValue {
            object([
                "prompt_tokens": .integer(Int64(run.promptTokens)), "generated_tokens": .integer(Int64(run.generatedTokens)),
                "repetitions": .integer(Int64(run.repetitions)), "seconds": .double(run.seconds),
                "mean_seconds": .double(run.meanSeconds),
                "prefill_seconds": .double(run.prefillSeconds), "tokens_per_second": .double(run.tokensPerSecond),
                "decode_tokens_per_second": .double(run.decodeTokensPerSecond),
                "token_ids": .array(run.tokenIds.map { .integer(Int64($0)) }),
            ])
        }
        return object([
            "plain": json(plain), "inra": json(inra), "inra_lambda": .double(0.5),
            "inra_same_tokens_as_plain": .bool(inra.tokenIds == plain.tokenIds),
        ])
    }

    /// A worker process serving teacher jobs of 512-token sequences (half prompt, half
    /// response), plain and as InRa (GGUF + adapter-only file), with its peak RSS, for
    /// each weight precision.
    static func measureMemory(_ file: ModelFile, settings: Settings, sequences: [[Int32]]) async throws -> JSONValue {
        let directory = settings.workDirectory + "/memory"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dataPath = directory + "/sequences-512.jsonl"
        let lines = sequences.enumerated().map { index, ids in
            object(["id": .string("s\(index)"), "input_ids": .array(ids.map { .integer(Int64($0)) }),
                    "prompt_len": .integer(Int64(ids.count / 2))]).jsonText
        }
        guard FileManager.default.createFile(atPath: dataPath, contents: Data((lines.joined(separator: "\n") + "\n").utf8)) else {
            throw BenchmarkError("cannot write \(dataPath)")
        }
        let adapterPath = try InRaExpansion.expand(file, into: directory + "/adapter", adapterOnly: true)[0]
        var members: [JSONMember] = [JSONMember("adapter_bytes", .integer(Int64(try fileSize(adapterPath))))]
        for precision in [WeightPrecision.exact, .quantized] {
            var runs: [JSONMember] = []
            for (label, adapter) in [("plain", nil), ("inra", adapterPath)] as [(String, String?)] {
                let run = try await FleetBenchmark.run(.init(
                    workers: 1, threadsPerWorker: settings.threads, model: ("smol", settings.modelPath), adapter: adapter,
                    dataPath: dataPath, limit: nil, alignedSystem: nil, lambdas: [0.5, 2], topK: 32, weights: precision,
                    directory: directory + "/\(precision.rawValue)-\(label)"))
                progress("worker memory \(label), \(precision.rawValue) weights: peak RSS \(format(Double(run.peakResidentBytes[0]) / 1e6)) MB")
                runs.append(JSONMember(label, object([
                    "peak_rss_bytes": .integer(Int64(run.peakResidentBytes[0])), "sequences": .integer(Int64(run.sequences)),
                    "idle_rss_bytes": .integer(Int64(run.idleResident[0].total)),
                    "idle_rss_file_bytes": .integer(Int64(run.idleResident[0].file)),
                    "idle_rss_anon_bytes": .integer(Int64(run.idleResident[0].anonymous)),
                    "final_rss_bytes": .integer(Int64(run.finalResident[0].total)),
                    "final_rss_file_bytes": .integer(Int64(run.finalResident[0].file)),
                    "final_rss_anon_bytes": .integer(Int64(run.finalResident[0].anonymous)),
                    "final_rss_model_file_bytes": .integer(Int64(run.modelFileResident[0])),
                    "tokens": .integer(Int64(run.tokens)), "jobs": .integer(Int64(run.jobs)),
                    "sequence_tokens": .integer(512), "threads": .integer(Int64(settings.threads)),
                ])))
            }
            members.append(JSONMember(precision.rawValue, .object(runs)))
        }
        return .object(members)
    }

    /// Teacher runs with the demo's settings on 1 and on 2 workers of one thread each
    /// (exact weights: teacher jobs are batches, sgemm on either path).
    static func measureFleet(_ settings: Settings) async throws -> JSONValue {
        var members: [JSONMember] = []
        for workers in [1, 2] {
            let run = try await FleetBenchmark.run(.init(
                workers: workers, threadsPerWorker: 1, model: ("smol", settings.modelPath),
                dataPath: settings.dataPath, limit: settings.fleetRecords, alignedSystem: "Answer in one short sentence.",
                lambdas: [0.5, 2], topK: 32, directory: settings.workDirectory + "/fleet-\(workers)"))
            progress("fleet \(workers) worker(s): \(format(run.tokensPerSecond)) tokens/s")
            members.append(JSONMember(String(workers), object([
                "workers": .integer(Int64(workers)), "threads_per_worker": .integer(1), "weights": .string(WeightPrecision.exact.rawValue),
                "sequences": .integer(Int64(run.sequences)), "tokens": .integer(Int64(run.tokens)),
                "jobs": .integer(Int64(run.jobs)),
                "jobs_per_worker": .array(run.jobLogs.map { .integer(Int64($0.jobs.count)) }),
                "job_seconds_per_worker": .array(run.jobLogs.map { .double($0.seconds) }),
                "seconds": .double(run.seconds), "tokens_per_second": .double(run.tokensPerSecond),
                "forward_seconds": .double(run.forwardSeconds), "fusion_seconds": .double(run.fusionSeconds),
                "job_seconds": .double(run.jobSeconds),
                "seconds_outside_forward": .double(run.secondsOutsideForward),
                "outside_forward_share": .double(run.secondsOutsideForward / (Double(workers) * run.seconds)),
                "outside_forward_share_within_jobs": .double((run.jobSeconds - run.forwardSeconds) / run.jobSeconds),
                "peak_rss_bytes": .array(run.peakResidentBytes.map { .integer(Int64($0)) }),
            ])))
        }
        return .object(members)
    }

    static func fileSize(_ path: String) throws -> Int {
        guard let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber else {
            throw BenchmarkError("cannot read the size of \(path)")
        }
        return size.intValue
    }

    static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember($0.key, $0.value) })
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
    }
}
