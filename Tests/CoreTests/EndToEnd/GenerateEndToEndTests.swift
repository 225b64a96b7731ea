import Foundation
import Testing
@testable import Core

/// `realign generate` end to end: the real binaries (coordinator, embedded broker, a
/// worker process) on SmolLM2, greedy, judged against the fixtures' greedy goldens
/// (transformers' argmax ids and text for two chat prompts). Build first: `swift build -c release`.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct GenerateEndToEndTests {
    struct Golden {
        var name: String
        var messages: JSONValue
        var generatedIDs: [Int32]
        var generatedText: String
    }

    static func goldens() throws -> [Golden] {
        let root = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("smollm2/logits-goldens.json")))))
        return try #require(root["greedy"]?.arrayValue).map { entry in
            Golden(name: try #require(entry["name"]?.stringValue), messages: try #require(entry["messages"]),
                   generatedIDs: try #require(entry["generated_ids"]?.arrayValue).map { Int32(try #require($0.integerValue)) },
                   generatedText: try #require(entry["generated_text"]?.stringValue))
        }
    }

    @Test func aStreamedPromptPrintsTheGreedyGoldenText() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("generate-prompt")
        let golden = try Self.goldens()[0]
        let outcome = try await RealignProcess.run(
            ["generate", "--model", "smol=\(TestPaths.smolLM2)", "--messages", golden.messages.jsonText,
             "--temperature", "0", "--max-tokens", String(golden.generatedIDs.count), "--out", directory + "/one.jsonl"],
            outputPrefix: directory + "/generate", timeout: .seconds(240))
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        #expect(outcome.stdout == golden.generatedText + "\n", "\(outcome.transcript)")
        let line = try JSONParser.parse(try String(contentsOfFile: directory + "/one.jsonl", encoding: .utf8))
        #expect(line["text"] == .string(golden.generatedText))
        #expect(line["token_ids"] == .array(golden.generatedIDs.map { .integer(Int64($0)) }))
        #expect(line["finish_reason"] == .string("length"))
        #expect(line["mode"] == .string("plain"))
        #expect(line["usage"]?["completion_tokens"] == .integer(Int64(golden.generatedIDs.count)))
        print("[e2e] generate --messages: \(String(format: "%.1f", outcome.seconds)) s")
    }

    @Test func aDatasetGivesOneResultLineARecordInOrder() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("generate-data")
        let goldens = try Self.goldens()
        let records = goldens.map { JSONValue.object([JSONMember("id", .string($0.name)), JSONMember("messages", $0.messages)]) }
        try Data(records.map(\.jsonText).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory + "/prompts.jsonl"))
        let outcome = try await RealignProcess.run(
            ["generate", "--model", "smol=\(TestPaths.smolLM2)", "--data", directory + "/prompts.jsonl", "--out", directory + "/results.jsonl",
             "--temperature", "0", "--max-tokens", "16", "--workers", "1"],
            outputPrefix: directory + "/generate", timeout: .seconds(240))
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        let lines = try String(contentsOfFile: directory + "/results.jsonl", encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.count == goldens.count)
        for (line, golden) in zip(lines, goldens) {
            #expect(line["id"] == .string(golden.name))
            #expect(line["text"] == .string(golden.generatedText), "\(golden.name)")
            #expect(line["token_ids"] == .array(golden.generatedIDs.map { .integer(Int64($0)) }), "\(golden.name)")
            #expect(line["usage"]?["completion_tokens"] == .integer(16))
            #expect(line["lambda"] == .null)
        }
        print("[e2e] generate --data (\(goldens.count) records): \(String(format: "%.1f", outcome.seconds)) s")
    }

    /// A record whose request is over the producer's `message.max.bytes` (1 MB; this one is 1.1 MB) gets its error
    /// line (`too_long`) and exit 3; the other records are generated.
    @Test func aRecordOverTheMessageSizeLimitFailsAlone() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("generate-oversized")
        let golden = try Self.goldens()[0]
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 25_000)
        let records: [JSONValue] = [
            .object([JSONMember("id", .string("long")),
                     JSONMember("messages", .array([.object([JSONMember("role", .string("user")), JSONMember("content", .string(long))])]))]),
            .object([JSONMember("id", .string(golden.name)), JSONMember("messages", golden.messages)]),
        ]
        try Data(records.map(\.jsonText).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory + "/prompts.jsonl"))
        let outcome = try await RealignProcess.run(
            ["generate", "--model", "smol=\(TestPaths.smolLM2)", "--data", directory + "/prompts.jsonl", "--out", directory + "/results.jsonl",
             "--temperature", "0", "--max-tokens", "8", "--workers", "1"],
            outputPrefix: directory + "/generate", timeout: .seconds(240))
        #expect(outcome.exitCode == 3, "\(outcome.transcript)")
        let lines = try String(contentsOfFile: directory + "/results.jsonl", encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        try #require(lines.count == 2)
        #expect(lines[0]["id"] == .string("long"))
        #expect(lines[0]["error"]?["code"] == .string("too_long"))
        #expect(lines[0]["error"]?["message"]?.stringValue?.contains("message size limit") == true, "\(lines[0])")
        #expect(lines[1]["token_ids"] == .array(golden.generatedIDs.prefix(8).map { .integer(Int64($0)) }))
    }

    /// DeRa and InRa through the command: DeRa at lambda 1 is the aligned view alone (the
    /// model with the aligned system message) and at lambda 0 the reference view alone,
    /// whatever the other stream says; with one view on both sides any lambda is it. An
    /// InRa adapter straight from `expand` is the identity, so InRa is the plain model.
    @Test func deRaAndInRaThroughTheCommandMatchTheirDefinitions() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("generate-dera-inra")
        let golden = try Self.goldens()[0]
        let messages = try #require(golden.messages.arrayValue)
        let system = "Answer in French."
        // The aligned system message takes the place of the prompt's own.
        let withSystem = JSONValue.array([.object([JSONMember("role", .string("system")), JSONMember("content", .string(system))])]
                                         + messages.filter { $0["role"]?.stringValue != "system" })
        func generate(_ name: String, _ arguments: [String], messages: JSONValue = golden.messages) async throws -> JSONValue {
            let out = directory + "/\(name).jsonl"
            let outcome = try await RealignProcess.run(
                ["generate", "--messages", messages.jsonText, "--temperature", "0", "--max-tokens", "12", "--out", out] + arguments,
                outputPrefix: directory + "/" + name, timeout: .seconds(240))
            #expect(outcome.exitCode == 0, "\(name): \(outcome.transcript)")
            return try JSONParser.parse(try String(contentsOfFile: out, encoding: .utf8))
        }
        let smol = "smol=\(TestPaths.smolLM2)"
        let plainWithSystem = try await generate("plain-system", ["--model", smol], messages: withSystem)
        let deraAligned = try await generate("dera-1", ["--ref", smol, "--aligned", "smol", "--aligned-system", system, "--lambda", "1"])
        let deraRef = try await generate("dera-0", ["--ref", smol, "--aligned", "smol", "--aligned-system", system, "--lambda", "0"])
        let deraOneView = try await generate("dera-2", ["--ref", smol, "--aligned", "smol", "--lambda", "2"])
        let goldenIDs = JSONValue.array(golden.generatedIDs.prefix(12).map { .integer(Int64($0)) })
        #expect(deraAligned["token_ids"] == plainWithSystem["token_ids"], "\(deraAligned) vs \(plainWithSystem)")
        #expect(deraAligned["token_ids"] != goldenIDs, "the system message should change the answer")
        #expect(deraAligned["mode"] == .string("dera"))
        #expect(deraAligned["lambda"] == .double(1))
        #expect(deraRef["token_ids"] == goldenIDs)
        #expect(deraOneView["token_ids"] == goldenIDs)

        let expanded = try await RealignProcess.run(
            ["expand", "--model", TestPaths.smolLM2, "--out", directory + "/adapter", "--force", "--adapter-only"],
            outputPrefix: directory + "/expand")
        #expect(expanded.exitCode == 0, "\(expanded.transcript)")
        let adapter = directory + "/adapter/" + InRaExpansion.adapterFileName
        let inra = try await generate("inra", ["--model", smol, "--adapter", "smol=\(adapter)", "--lambda", "0.5"])
        #expect(inra["token_ids"] == goldenIDs)
        #expect(inra["mode"] == .string("inra"))
        #expect(inra["lambda"] == .double(0.5))
    }

    @Test func usageErrorsExitTwoBeforeAnythingStarts() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("generate-usage")
        for arguments in [
            ["--model", "smol=\(TestPaths.smolLM2)", "--prompt", "x", "--temperature", "-1"],
            ["--model", "smol=\(TestPaths.smolLM2)", "--prompt", "x", "--mode", "plain", "--lambda", "0.5"],
            // No adapter: the model is plain.
            ["--model", "smol=\(TestPaths.smolLM2)", "--prompt", "x", "--lambda", "0.5"],
            ["--model", "smol=\(TestPaths.smolLM2)", "--prompt", "x", "--mode", "inra"],
            ["--model", "smol=\(TestPaths.smolLM2)", "--prompt", "x", "--messages", "[]"],
            ["--model", "smol=\(TestPaths.smolLM2)", "--data", "x.jsonl"],
            ["--model", "smol=/no/such/model.gguf", "--prompt", "x"],
        ] {
            let outcome = try await RealignProcess.run(["generate"] + arguments, outputPrefix: directory + "/usage", timeout: .seconds(20))
            #expect(outcome.exitCode == 2, "\(outcome.transcript)")
            #expect(outcome.seconds < 5, "\(outcome.transcript)")
            #expect(outcome.stderr.contains("see --help"), "\(outcome.transcript)")
        }
    }
}
