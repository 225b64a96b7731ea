import Foundation
import Testing
@testable import Core

/// `realign teacher` end to end: the real binaries (coordinator, embedded broker, worker
/// processes) on SmolLM2 over a small alpaca dataset, judged by their exit codes, what
/// they print and the output directory they leave. Each run's time and tokens/s are
/// printed (`[e2e]` lines). Build first: `swift build -c release`.
@Suite(.serialized) struct TeacherEndToEndTests {
    /// Eight short alpaca records (about 40-60 tokens each), short and longer answers.
    static let records: [[String: String]] = [
        ["instruction": "Name a primary color.", "input": "", "output": "Red is a primary color."],
        ["instruction": "What is the capital of France?", "input": "", "output": "The capital of France is Paris, a city on the river Seine."],
        ["instruction": "Give an antonym.", "input": "happy", "output": "Sad."],
        ["instruction": "How many legs does a spider have?", "input": "", "output": "A spider has eight legs, two more than an insect has."],
        ["instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour."],
        ["instruction": "Add the numbers.", "input": "2 and 3", "output": "Two plus three is five."],
        ["instruction": "Why is the sky blue?", "input": "", "output": "Air scatters blue sunlight more than red light, so the sky looks blue."],
        ["instruction": "Name a fruit.", "input": "", "output": "An apple."],
    ]
    static let sequenceIDs = records.indices.map(String.init)
    static let lambdaTags = ["0.5", "2.0"]
    static let topK = 8

    /// The run's shared settings; `alignedSystem: false` for pre-tokenized records,
    /// which a system message cannot apply to.
    /// One compute thread a worker whatever the fleet's size: the runs' shards are compared
    /// byte for byte, and OpenBLAS's Haswell / Zen kernels sum a product in an order that
    /// depends on its thread count (README, "The output directory").
    static func teacherArguments(data: String, out: String, alignedSystem: Bool = true) -> [String] {
        ["teacher", "--data", data, "--ref", "smol=\(TestPaths.smolLM2)", "--aligned", "smol"]
            + (alignedSystem ? ["--aligned-system", "Answer in one short sentence."] : [])
            + ["--lambda", "0.5,2", "--top-k", String(topK), "--out", out, "--threads", "1"]
    }

    /// This test process's directory; made once, after removing those of earlier test
    /// processes that are gone (the runs' outputs are kept for a look until then).
    static let baseDirectory: String = {
        let temporary = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        where name.hasPrefix("realign-e2e-") {
            if let pid = Int32(name.dropFirst("realign-e2e-".count)), pid != getpid(), kill(pid, 0) != 0 {
                try? FileManager.default.removeItem(atPath: temporary + "/" + name)
            }
        }
        return temporary + "/realign-e2e-\(getpid())"
    }()

    /// A fresh directory for one test, under `baseDirectory`.
    static func workDirectory(_ name: String) throws -> String {
        let path = baseDirectory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func writeDataset(_ records: [JSONValue], to path: String) throws {
        try Data(JSONValue.array(records).jsonBytes).write(to: URL(fileURLWithPath: path))
    }

    static func alpaca(_ record: [String: String]) -> JSONValue {
        .object(["instruction", "input", "output"].map { JSONMember($0, .string(record[$0]!)) })
    }

    /// Runs `realign` and prints its time (and the tokens/s of a teacher summary).
    static func realign(_ label: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
                        timeout: Duration = .seconds(180)) async throws -> RealignProcess.Outcome {
        let outcome = try await RealignProcess.run(arguments, outputPrefix: directory + "/" + label, environment: environment,
                                                   timeout: timeout)
        let timing = outcome.summaryTiming.map { String(format: ", run %.1f s, %.0f tokens/s", $0.seconds, $0.tokensPerSecond) } ?? ""
        print(String(format: "[e2e] %@: exit %d, wall %.1f s", label, outcome.exitCode, outcome.seconds) + timing)
        return outcome
    }

    /// What a finished teacher run left in its output directory.
    struct FinishedRun: Sendable {
        var directory: String
        var manifest: TeacherOutputManifest
        /// manifest.json parsed as plain JSON, to compare everything in it.
        var manifestJSON: [String: JSONValue]
        var shardBytes: [String: [UInt8]]
    }

    static func finishedRun(_ directory: String) throws -> FinishedRun {
        let manifest = try TeacherOutputManifest.read(directory: directory)
        let manifestBytes = try #require(FileManager.default.contents(atPath: directory + "/manifest.json"))
        let manifestJSON = try #require(try JSONParser.parse([UInt8](manifestBytes)).objectMembers)
        var shards: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasPrefix("targets-") {
            let bytes = try #require(FileManager.default.contents(atPath: directory + "/" + name), "cannot read \(name)")
            shards[name] = [UInt8](bytes)
        }
        return FinishedRun(directory: directory, manifest: manifest,
                           manifestJSON: Dictionary(uniqueKeysWithValues: manifestJSON.map { ($0.key, $0.value) }),
                           shardBytes: shards)
    }

    /// The reference run, 2 workers and 4 jobs of 2 records, made once and shared: the
    /// other tests compare their output with its shard.
    static let cleanRun = Task { () async throws -> FinishedRun in
        let directory = try workDirectory("clean")
        let data = directory + "/data.json"
        try writeDataset(records.map(alpaca), to: data)
        let outcome = try await realign("clean run, 2 workers", teacherArguments(data: data, out: directory + "/out")
            + ["--workers", "2", "--job-tokens", "450"], in: directory)
        try #require(outcome.exitCode == 0, "\(outcome.transcript)")
        return try finishedRun(directory + "/out")
    }

    static func cleanShard() async throws -> TeacherShard {
        let clean = try await cleanRun.value
        return try TeacherShard(path: clean.directory + "/targets-00000.safetensors")
    }

    // MARK: - Fleet size

    @Test(.timeLimit(.minutes(6))) func fleetSizeDoesNotChangeTheOutput() async throws {
        let two = try await Self.cleanRun.value
        let directory = try Self.workDirectory("one-worker")
        let data = directory + "/data.json"
        try Self.writeDataset(Self.records.map(Self.alpaca), to: data)
        let outcome = try await Self.realign("clean run, 1 worker", Self.teacherArguments(data: data, out: directory + "/out")
            + ["--workers", "1", "--job-tokens", "450"], in: directory)
        try #require(outcome.exitCode == 0, "\(outcome.transcript)")
        #expect(outcome.stdout.contains("sequences: 8\n"))
        let one = try Self.finishedRun(directory + "/out")

        #expect(two.shardBytes.keys.sorted() == ["targets-00000.safetensors"])
        #expect(one.shardBytes.keys.sorted() == two.shardBytes.keys.sorted())
        for (name, bytes) in two.shardBytes {
            #expect(one.shardBytes[name] == bytes, "\(name) differs between 1 and 2 workers")
        }
        #expect(one.manifest.runID != two.manifest.runID)
        #expect(one.manifestJSON.keys.sorted() == two.manifestJSON.keys.sorted())
        for (key, value) in two.manifestJSON where key != "run_id" && key != "timings" {
            #expect(one.manifestJSON[key] == value, "manifest '\(key)' differs between 1 and 2 workers")
        }

        let manifest = two.manifest
        #expect(manifest.complete)
        #expect(manifest.failures.isEmpty)
        #expect(manifest.lambdaTags == Self.lambdaTags)
        #expect(manifest.topK == Self.topK)
        #expect(manifest.models.ref.name == "smol" && manifest.models.aligned.name == "smol")
        #expect(manifest.models.ref.contentHash == manifest.models.aligned.contentHash)
        #expect(manifest.timings.finishedAt != nil && (manifest.timings.elapsedSeconds ?? -1) > 0)

        let shard = try await Self.cleanShard()
        try shard.checkWellFormed(sequenceIDs: Self.sequenceIDs, lambdaTags: Self.lambdaTags, topK: Self.topK)
        #expect(manifest.counts == .init(sequences: 8, writtenSequences: 8, tokens: shard.targets.tokenCount,
                                         responseRows: shard.targets.rowCount, shards: 1))
        #expect(manifest.shards == [.init(file: "targets-00000.safetensors", firstSequence: 0, sequences: 8,
                                          tokens: shard.targets.tokenCount, responseRows: shard.targets.rowCount,
                                          sha256: SHA256.hex(shard.bytes))])
        #expect(shard.targets.metadata.ref == manifest.models.ref)
        #expect(shard.targets.metadata.tokenizerHash == manifest.tokenizerHash)
        for s in 0..<8 {
            let length = shard.sequence(s).ids.count
            #expect(length >= 30 && length <= 90, "sequence \(s) has \(length) tokens")
        }

        // Past the aligned view (2.0) the teacher is not the halfway one (0.5).
        let half = try shard.lambda("0.5"), extrapolated = try shard.lambda("2.0")
        let largestChange = zip(half.topKLogprobs, extrapolated.topKLogprobs).map { abs($0 - $1) }.max() ?? 0
        #expect(largestChange > 0.05)
        #expect(half.targetLogprob != extrapolated.targetLogprob)
        #expect(half.topKIDs != extrapolated.topKIDs)
    }

    // MARK: - Resume

    @Test(.timeLimit(.minutes(6))) func aKilledRunResumesToTheSameShards() async throws {
        let directory = try Self.workDirectory("resume")
        let data = directory + "/data.json", out = directory + "/out"
        try Self.writeDataset(Self.records.map(Self.alpaca), to: data)
        // One record a job, so the run has parts on disk long before it is done.
        let arguments = Self.teacherArguments(data: data, out: out) + ["--workers", "1", "--job-tokens", "1"]

        let interrupted = try RealignProcess(arguments, outputPrefix: directory + "/interrupted")
        let parts = out + "/parts"
        func partCount() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: parts)) ?? []).filter { $0.hasSuffix(".safetensors") }.count
        }
        let deadline = ContinuousClock.now + .seconds(150)
        while partCount() == 0 && interrupted.process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let workers = ProcessTable.children(of: interrupted.pid)
        let runningAtKill = interrupted.process.isRunning
        kill(interrupted.pid, SIGKILL)
        let killed = try await interrupted.wait(timeout: .seconds(30))
        try #require(runningAtKill, "the run ended before it could be interrupted: \(killed.transcript)")
        #expect(killed.exitCode == SIGKILL && interrupted.process.terminationReason == .uncaughtSignal)
        let partsAtKill = partCount()
        print("[e2e] interrupted run: killed after \(String(format: "%.1f", killed.seconds)) s with \(partsAtKill) of 8 parts")
        try #require(partsAtKill >= 1 && partsAtKill < 8, "\(partsAtKill) parts at the kill")
        #expect(!FileManager.default.fileExists(atPath: out + "/targets-00000.safetensors"))

        // The workers watch their parent and leave on their own.
        #expect(workers.count == 1, "worker processes: \(workers)")
        let killedAt = ContinuousClock.now
        while workers.contains(where: ProcessTable.isRunning) && ContinuousClock.now < killedAt + .seconds(10) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let leftOver = workers.filter(ProcessTable.isRunning)
        for pid in leftOver { kill(pid, SIGKILL) }
        #expect(leftOver.isEmpty, "workers \(leftOver) still ran 10 s after their coordinator died")
        print("[e2e] interrupted run: its worker was gone \(ContinuousClock.now - killedAt) after the kill")
        let interruptedLog = try String(contentsOfFile: out + "/logs/worker-0.log", encoding: .utf8)
        #expect(interruptedLog.contains("parent process"), "\(interruptedLog)")

        let runRecord = try #require(TeacherRunDirectory(path: out).readRecord())
        let resumed = try await Self.realign("resumed run, 1 worker", arguments + ["--resume"], in: directory)
        try #require(resumed.exitCode == 0, "\(resumed.transcript)")
        // It took up what the killed run had saved, under the same run id.
        #expect(resumed.stderr.contains(#""done":\#(partsAtKill),"#), "\(resumed.stderr)")
        // The resumed run's workers log after the interrupted one's, which stays.
        let log = try String(contentsOfFile: out + "/logs/worker-0.log", encoding: .utf8)
        #expect(log.hasPrefix(interruptedLog) && log.count > interruptedLog.count)
        let output = try Self.finishedRun(out)
        #expect(output.manifest.runID == runRecord.runID)
        #expect(output.manifest.complete)
        // Every record saved once over both attempts (one part each): none lost, none twice.
        let saved = TeacherRunDirectory(path: out).existingParts()
        #expect(saved.failures.isEmpty)
        #expect(saved.targets.sorted { $0.lowerBound < $1.lowerBound } == (0..<8).map { $0..<($0 + 1) })
        #expect(output.manifest.counts.sequences == 8 && output.manifest.counts.writtenSequences == 8)
        try TeacherShard(path: out + "/targets-00000.safetensors")
            .checkWellFormed(sequenceIDs: Self.sequenceIDs, lambdaTags: Self.lambdaTags, topK: Self.topK)

        // The same shards as a clean run, whose jobs held two records each: shards
        // depend on the data only.
        let clean = try await Self.cleanRun.value
        #expect(output.shardBytes.keys.sorted() == clean.shardBytes.keys.sorted())
        for (name, bytes) in clean.shardBytes {
            #expect(output.shardBytes[name] == bytes, "\(name) of the resumed run differs from the clean run's")
        }
        for (key, value) in clean.manifestJSON where key != "run_id" && key != "timings" {
            #expect(output.manifestJSON[key] == value, "manifest '\(key)' differs from the clean run's")
        }
    }

    // MARK: - Bad records and truncation

    /// A pre-tokenized record with `prompt_len` 0 among the text records fails alone
    /// (exit 3, listed under the manifest's failures) and the other records are written; with
    /// `--cutoff-len` the long records lose the end of their responses. No aligned
    /// system message here (it cannot apply to a pre-tokenized record), so the ref view
    /// is the one of the clean run and both views are one: rows = cutoff - prompt length.
    @Test(.timeLimit(.minutes(6))) func aBadRecordFailsAloneAndLongRecordsAreCut() async throws {
        let clean = try await Self.cleanShard()
        let lengths = (0..<8).map { clean.sequence($0).ids.count }
        let promptLens = (0..<8).map { clean.sequence($0).promptLen }
        let cutoff = promptLens.max()! + 4
        try #require(lengths.contains { $0 > cutoff } && lengths.contains { $0 <= cutoff },
                     "the cutoff \(cutoff) should cut some of the records of lengths \(lengths), not all")

        let directory = try Self.workDirectory("bad-record")
        let data = directory + "/data.json", out = directory + "/out"
        var records = Self.records.map(Self.alpaca)
        records.insert(.object([JSONMember("id", .string("bad")),
                                JSONMember("input_ids", .array([1, 2, 3, 4].map { .integer($0) })),
                                JSONMember("prompt_len", .integer(0))]), at: 3)
        try Self.writeDataset(records, to: data)
        let outcome = try await Self.realign("bad record and --cutoff-len \(cutoff), 1 worker",
            Self.teacherArguments(data: data, out: out, alignedSystem: false)
                + ["--workers", "1", "--job-tokens", "450", "--cutoff-len", String(cutoff)], in: directory)
        #expect(outcome.exitCode == 3, "\(outcome.transcript)")
        #expect(outcome.stdout.contains("sequences: 8 (1 failed, listed under failures in manifest.json)"), "\(outcome.stdout)")

        let manifest = try TeacherOutputManifest.read(directory: out)
        #expect(manifest.complete)
        #expect(manifest.failures.map(\.sequence) == [3])
        #expect(manifest.failures.map(\.id) == ["bad"])
        #expect(manifest.failures.map(\.code) == ["bad_prompt_len"])
        #expect(manifest.failures.first?.message.contains("'prompt_len' 0") == true, "\(manifest.failures)")
        #expect(manifest.counts.writtenSequences == 8)

        // Records without an id are named by their index in the file, the bad one's included.
        let shard = try TeacherShard(path: out + "/targets-00000.safetensors")
        try shard.checkWellFormed(sequenceIDs: ["0", "1", "2", "4", "5", "6", "7", "8"], lambdaTags: Self.lambdaTags, topK: Self.topK)
        for s in 0..<8 {
            let cut = shard.sequence(s), whole = clean.sequence(s)
            #expect(cut.promptLen == whole.promptLen, "sequence \(s)")
            #expect(cut.ids == Array(whole.ids.prefix(cutoff)), "sequence \(s)")
            #expect(cut.rows.count == min(whole.ids.count, cutoff) - whole.promptLen, "sequence \(s)")
        }
        // One model and one view: every lambda is the reference model itself.
        let half = try shard.lambda("0.5"), extrapolated = try shard.lambda("2.0")
        #expect(half.topKIDs == extrapolated.topKIDs)
        #expect(zip(half.topKLogprobs, extrapolated.topKLogprobs).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    /// A record whose job is over the producer's `message.max.bytes` (1 MB; this one is 1.1 MB) fails alone
    /// (`too_long`, exit 3); the other records are written.
    @Test(.timeLimit(.minutes(6))) func aRecordOverTheMessageSizeLimitFailsAlone() async throws {
        let directory = try Self.workDirectory("oversized")
        let data = directory + "/data.json", out = directory + "/out"
        var records = Self.records.prefix(3).map(Self.alpaca)
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 25_000)
        records.insert(Self.alpaca(["instruction": "Summarise.", "input": long, "output": "A fox jumps."]), at: 1)
        try Self.writeDataset(records, to: data)
        let outcome = try await Self.realign("a record over message.max.bytes",
            Self.teacherArguments(data: data, out: out) + ["--workers", "1"], in: directory)
        #expect(outcome.exitCode == 3, "\(outcome.transcript)")

        let manifest = try TeacherOutputManifest.read(directory: out)
        #expect(manifest.complete)
        #expect(manifest.failures.map(\.sequence) == [1])
        #expect(manifest.failures.map(\.code) == ["too_long"])
        #expect(manifest.failures.first?.message.contains("message size limit") == true, "\(manifest.failures)")
        let shard = try TeacherShard(path: out + "/targets-00000.safetensors")
        try shard.checkWellFormed(sequenceIDs: ["0", "2", "3"], lambdaTags: Self.lambdaTags, topK: Self.topK)
        let clean = try await Self.cleanShard()
        for (s, original) in [0, 1, 2].enumerated() {
            #expect(shard.sequence(s).ids == clean.sequence(original).ids, "sequence \(s)")
        }
    }

    // MARK: - Command line

    @Test(.timeLimit(.minutes(3))) func commandLineErrorsExitWithTheirCodes() async throws {
        let directory = try Self.workDirectory("cli")
        let data = directory + "/data.json"
        try Self.writeDataset(Self.records.map(Self.alpaca), to: data)
        let valid = Self.teacherArguments(data: data, out: directory + "/out")

        let help = try await Self.realign("teacher --help", ["teacher", "--help"], in: directory)
        #expect(help.exitCode == 0)
        for option in ["--data", "--ref", "--aligned", "--aligned-system", "--lambda", "--top-k", "--out", "--workers",
                       "--job-tokens", "--cutoff-len", "--resume", "--overwrite", "--brokers", "--help"] {
            #expect(help.stdout.contains(option + " ") || help.stdout.contains(option + "\n"), "--help lacks \(option)")
        }
        #expect(help.stdout.contains("Exit status"))

        func withoutOption(_ name: String) -> [String] {
            let index = valid.firstIndex(of: name)!
            return Array(valid[..<index] + valid[(index + 2)...])
        }
        let truncated = directory + "/truncated.gguf"
        try FileHandle(forReadingFrom: URL(fileURLWithPath: TestPaths.smolLM2)).readData(ofLength: 1_000_000)
            .write(to: URL(fileURLWithPath: truncated))
        let usageErrors: [(label: String, arguments: [String], message: String)] = [
            ("missing --data", withoutOption("--data"), "--data is required"),
            ("unknown option", valid + ["--frobnicate"], "unknown option --frobnicate"),
            ("--lambda abc", withoutOption("--lambda") + ["--lambda", "abc"], "--lambda: abc is not a number"),
            ("--lambda --limit 3", withoutOption("--lambda") + ["--lambda", "--limit", "3"], "--lambda needs a value"),
            ("--lambda 0.5,", withoutOption("--lambda") + ["--lambda", "0.5,"], "--lambda: 0.5, has an empty item"),
            ("--resume --overwrite", valid + ["--resume", "--overwrite"], "--resume continues the run in --out and --overwrite replaces it"),
            // -X configures the embedded fleet's clients too: librdkafka's refusal is a usage error.
            ("-X unknown property", valid + ["-X", "no.such.property=1"], "invalid Kafka property 'no.such.property'"),
            ("missing model file", withoutOption("--ref") + ["--ref", "smol=" + directory + "/no-such-model.gguf"],
             "model smol: no file or directory at \(directory)/no-such-model.gguf"),
            // Found before the fleet starts and before --out is claimed.
            ("truncated model file", withoutOption("--ref") + ["--ref", "smol=" + truncated],
             "model smol: \(truncated): "),
        ]
        for (label, arguments, message) in usageErrors {
            let outcome = try await Self.realign(label, arguments, in: directory, timeout: .seconds(60))
            #expect(outcome.exitCode == 2, "\(label): \(outcome.transcript)")
            #expect(outcome.stderr.contains(message), "\(label): \(outcome.transcript)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"), "a usage error claimed --out")
        // A weight precision the workers would refuse is found before any of them starts.
        let badWeights = try await Self.realign("REALIGN_WEIGHTS=bogus", valid, in: directory,
                                                environment: [WeightPrecision.environmentVariable: "bogus"], timeout: .seconds(60))
        #expect(badWeights.exitCode == 2, "\(badWeights.transcript)")
        #expect(badWeights.stderr.contains("bogus is not a weight precision (exact, quantized or quantised)"), "\(badWeights.transcript)")
        #expect(!badWeights.stderr.contains("worker"), "\(badWeights.transcript)")

        let outIsAFile = try await Self.realign("--out names a file", withoutOption("--out") + ["--out", data],
                                                in: directory, timeout: .seconds(60))
        #expect(outIsAFile.exitCode == 1, "\(outIsAFile.transcript)")
        #expect(outIsAFile.stderr.contains("cannot use \(data) as the output directory: \(data) is a file, not a directory"),
                "\(outIsAFile.transcript)")

        let missingFile = directory + "/no-such-data.json"
        let missing = try await Self.realign("nonexistent data file", withoutOption("--data") + ["--data", missingFile],
                                             in: directory, timeout: .seconds(60))
        #expect(missing.exitCode == 1, "\(missing.transcript)")
        #expect(missing.stderr.contains("\(missingFile): no such file"), "\(missing.transcript)")

        // An earlier run's directory is neither resumed nor replaced by accident, and
        // its worker logs stay as they were.
        let earlier = try await Self.cleanRun.value
        let logPath = earlier.directory + "/logs/worker-0.log"
        let log = FileManager.default.contents(atPath: logPath)
        #expect(log != nil)
        let refused = try await Self.realign("--out over an earlier run", withoutOption("--out") + ["--out", earlier.directory],
                                             in: directory, timeout: .seconds(60))
        #expect(refused.exitCode == 1, "\(refused.transcript)")
        #expect(refused.stderr.contains("\(earlier.directory) holds an earlier run; use --resume to continue it, or --overwrite to replace it"),
                "\(refused.transcript)")
        #expect(FileManager.default.contents(atPath: logPath) == log)
        #expect(try Self.finishedRun(earlier.directory).shardBytes == earlier.shardBytes)
    }
}
