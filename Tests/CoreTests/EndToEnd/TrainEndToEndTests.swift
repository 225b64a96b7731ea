import Foundation
import Testing
@testable import Core

/// `realign train` and `realign eval` as a user runs them, on the tiny models.
@Suite("realign train end to end", .serialized)
struct TrainEndToEndTests {
    static func realign(_ arguments: [String], in directory: String) async throws -> RealignProcess.Outcome {
        try await RealignProcess.run(arguments, outputPrefix: directory + "/" + UUID().uuidString, timeout: .seconds(120))
    }

    /// Pre-tokenized JSONL records of the tiny test sequences.
    static func writeTokenRecords(_ sequences: [TinyTeacherOutput.Sequence], to path: String) throws {
        let lines = sequences.map { sequence in
            JSONValue.object([
                JSONMember("id", .string(sequence.id)),
                JSONMember("input_ids", .array(sequence.ids.map { .integer(Int64($0)) })),
                JSONMember("prompt_len", .integer(Int64(sequence.promptLength))),
            ]).jsonText
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("--help lists every option; usage errors exit 2 with their message")
    func commandLine() async throws {
        let directory = try TinyTeacherOutput.temporaryDirectory("cli")
        let help = try await Self.realign(["train", "--help"], in: directory)
        #expect(help.exitCode == 0)
        for option in ["--method", "--student", "--teacher", "--lambda", "--ref", "--aligned", "--aligned-system", "--data", "--out",
                       "--kl", "--steps", "--lr", "--optimizer", "--warmup-ratio", "--batch-tokens", "--grad-accum", "--clip",
                       "--save-every", "--resume", "--threads", "--limit", "--help"] {
            #expect(help.stdout.contains(option + " ") || help.stdout.contains(option + "\n"), "--help lacks \(option)")
        }
        let data = directory + "/data.jsonl"
        try Self.writeTokenRecords(TinyTeacherOutput.sequences(count: 4, seed: 1), to: data)
        let student = TestPaths.fixture("tiny-qwen2")
        let base = ["train", "--student", student, "--out", directory + "/out"]
        let cases: [([String], String)] = [
            (base + ["--data", data], "--method is required"),
            (base + ["--method", "trra", "--data", data], "--method trra needs --teacher"),
            (base + ["--method", "trra", "--teacher", "online", "--lambda", "2", "--data", data], "--teacher online needs --ref and --aligned"),
            (base + ["--method", "trra", "--teacher", directory, "--lambda", "2"], "is neither online nor a teacher output directory"),
            (base + ["--method", "sft"], "--method sft needs --data"),
            (base + ["--method", "sft", "--data", data, "--optimizer", "adam"], "--optimizer must be one of adamw, sgd"),
            (base + ["--method", "sft", "--data", data, "--lr", "-1"], "--lr must be positive"),
            (base + ["--method", "sft", "--data", data, "--ref", student], "--ref belongs to --teacher online"),
            (base + ["--method", "sft", "--data", data, "--resume"], "--resume: no checkpoint"),
            (base + ["--method", "sft", "--data", data, "--frobnicate"], "unknown option --frobnicate"),
        ]
        for (arguments, message) in cases {
            let outcome = try await Self.realign(arguments, in: directory)
            #expect(outcome.exitCode == 2, "\(outcome.transcript)")
            #expect(outcome.stderr.contains(message), "\(outcome.transcript)")
        }
    }

    @Test("SFT run with checkpoints; an interrupted run resumed gives the same bytes; earlier runs are not overwritten")
    func sftResume() async throws {
        let directory = try TinyTeacherOutput.temporaryDirectory("sft")
        let data = directory + "/data.jsonl"
        try Self.writeTokenRecords(TinyTeacherOutput.sequences(count: 10, seed: 2), to: data)
        let arguments = ["train", "--method", "sft", "--student", TestPaths.fixture("tiny-qwen2"), "--data", data,
                         "--steps", "6", "--lr", "1e-2", "--batch-tokens", "64", "--save-every", "2", "--threads", "1"]
        let straight = try await Self.realign(arguments + ["--out", directory + "/a"], in: directory)
        #expect(straight.exitCode == 0, "\(straight.transcript)")
        let log = straight.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(log.count == 6)
        #expect(straight.stdout.contains("trained 6 steps"))
        for name in ["checkpoint-2", "checkpoint-4", "final"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/a/\(name)/model.safetensors"), "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/a/checkpoint-6"))

        let again = try await Self.realign(arguments + ["--out", directory + "/a"], in: directory)
        #expect(again.exitCode == 2 && again.stderr.contains("holds an earlier run"), "\(again.transcript)")

        // Run B stops after checkpoint-2 (its later checkpoints removed), then resumes.
        let first = try await Self.realign(arguments + ["--out", directory + "/b"], in: directory)
        #expect(first.exitCode == 0)
        for name in ["checkpoint-4", "final"] { try FileManager.default.removeItem(atPath: directory + "/b/" + name) }
        let resumed = try await Self.realign(arguments + ["--out", directory + "/b", "--resume"], in: directory)
        #expect(resumed.exitCode == 0, "\(resumed.transcript)")
        #expect(resumed.stderr.contains("resuming from") && resumed.stdout.contains("trained 4 steps (3 to 6)"), "\(resumed.transcript)")
        for file in ["model.safetensors", "optimizer.safetensors", "trainer_state.json", "config.json"] {
            let a = FileManager.default.contents(atPath: directory + "/a/final/" + file)
            #expect(a != nil && a == FileManager.default.contents(atPath: directory + "/b/final/" + file), "\(file)")
        }
        let changed = try await Self.realign(arguments.map { $0 == "1e-2" ? "2e-2" : $0 } + ["--out", directory + "/b", "--resume"], in: directory)
        #expect(changed.exitCode == 2 && changed.stderr.contains("lr was 0.01, now 0.02"), "\(changed.transcript)")
    }

    @Test("Online TrRa on pre-tokenized records: the teacher computed from ref and aligned at each step")
    func onlineTeacher() async throws {
        let directory = try TinyTeacherOutput.temporaryDirectory("online")
        let data = directory + "/data.jsonl"
        try Self.writeTokenRecords(TinyTeacherOutput.sequences(count: 6, seed: 4), to: data)
        let outcome = try await Self.realign([
            "train", "--method", "trra", "--student", TestPaths.fixture("tiny-qwen2"), "--teacher", "online",
            "--ref", TestPaths.fixture("tiny-qwen2"), "--aligned", TestPaths.fixture("tiny-qwen2-aligned"), "--lambda", "2",
            "--data", data, "--kl", "reverse", "--optimizer", "sgd", "--lr", "0.05", "--steps", "6", "--batch-tokens", "1000",
            "--out", directory + "/out",
        ], in: directory)
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        let losses = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["loss"] as? Double
        }
        #expect(losses.count == 6)
        #expect(losses.last! < losses.first! * 0.9, "\(losses)")
        let text = try await Self.realign([
            "train", "--method", "trra", "--student", TestPaths.fixture("tiny-qwen2"), "--teacher", "online",
            "--ref", TestPaths.fixture("tiny-qwen2"), "--aligned", TestPaths.fixture("tiny-qwen2"), "--lambda", "2",
            "--aligned-system", "Be brief.", "--data", data, "--out", directory + "/text",
        ], in: directory)
        #expect(text.exitCode == 1 && text.stderr.contains("--aligned-system applies to text records"), "\(text.transcript)")
    }

    @Test("TrRa from a teacher directory lowers the KL that realign eval reports")
    func trraAndEval() async throws {
        let directory = try TinyTeacherOutput.temporaryDirectory("trra")
        let teacher = directory + "/teacher"
        try TinyTeacherOutput.write(TinyTeacherOutput.sequences(count: 8, seed: 3), to: teacher)
        let student = TestPaths.fixture("tiny-qwen2")
        let trained = try await Self.realign(["train", "--method", "trra", "--student", student, "--teacher", teacher, "--lambda", "2",
                                              "--steps", "8", "--lr", "3e-3", "--out", directory + "/out"], in: directory)
        #expect(trained.exitCode == 0, "\(trained.transcript)")
        let evaluated = try await Self.realign(["eval", "--model", student, "--model", directory + "/out/final", "--teacher", teacher,
                                                "--teacher-lambda", "2.0", "--max-tokens", "3", "--out", directory + "/eval.json"], in: directory)
        #expect(evaluated.exitCode == 0, "\(evaluated.transcript)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/eval.json"))) as? [String: Any])
        let results = try #require(document["results"] as? [[String: Any]])
        #expect(results.count == 2)
        for result in results {
            let answers = try #require(result["answers"] as? [String: Any])
            #expect(answers["count"] as? Int == 8 && answers["max_tokens"] as? Int == 3)
            let items = try #require(answers["items"] as? [[String: Any]])
            #expect(items.allSatisfy { ($0["tokens"] as? Int).map { (1...3).contains($0) } == true })
        }
        let before = try #require(results.first?["forward_kl"] as? Double), after = try #require(results.last?["forward_kl"] as? Double)
        #expect(after < before * 0.9, "\(evaluated.stdout)")
    }
}
