import Foundation
import Testing
@testable import Core

/// `realign serve` driven by the official `openai` Python client (PyPI) against a real
/// worker over the embedded broker: chat and completions, whole and streamed, an unknown
/// model, and a streaming client that hangs up while another request runs. The client
/// is installed with `pip install --user openai` when missing (scripts/setup.sh installs
/// it); the test is skipped only when that fails.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ServeEndToEndTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/openai-client-check.py").standardized.path

    static func python(_ arguments: [String], timeout: Duration, outputPrefix: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        _ = FileManager.default.createFile(atPath: outputPrefix + ".stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: outputPrefix + ".stderr", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPrefix + ".stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPrefix + ".stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: outputPrefix + ".stdout", encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: outputPrefix + ".stderr", encoding: .utf8)) ?? "")
    }

    /// Whether `import openai` works, after installing it if needed.
    static let openAIAvailable: Bool = {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("realign-openai-check-\(getpid())").path
        if (try? python(["-c", "import openai"], timeout: .seconds(60), outputPrefix: prefix))?.status == 0 { return true }
        _ = try? python(["-m", "pip", "install", "--user", "--quiet", "openai"], timeout: .seconds(300), outputPrefix: prefix)
        return (try? python(["-c", "import openai"], timeout: .seconds(60), outputPrefix: prefix))?.status == 0
    }()

    @Test(.enabled(if: openAIAvailable, "the openai Python package is missing and `pip install --user openai` failed"))
    func theOpenAIClientGetsGreedyAnswersErrorsAndCancels() async throws {
        let directory = try TeacherEndToEndTests.workDirectory("serve")
        let golden = try GenerateEndToEndTests.goldens()[0]
        let serve = try RealignProcess(["serve", "--port", "0", "--host", "127.0.0.1", "--model", "smol=\(TestPaths.smolLM2)", "--workers", "1"],
                                       outputPrefix: directory + "/serve")
        defer { if serve.process.isRunning { kill(serve.pid, SIGKILL) } }
        var port: Int?
        let deadline = ContinuousClock.now + .seconds(60)
        while port == nil && ContinuousClock.now < deadline && serve.process.isRunning {
            let stdout = (try? String(contentsOfFile: directory + "/serve.stdout", encoding: .utf8)) ?? ""
            port = stdout.components(separatedBy: "http://127.0.0.1:").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
            try await Task.sleep(for: .milliseconds(100))
        }
        let listening = try #require(port, "serve printed no address")

        let started = ContinuousClock.now
        let run = try await blocking {
            try Self.python([Self.script, "http://127.0.0.1:\(listening)/v1", golden.messages.jsonText, String(golden.generatedIDs.count)],
                            timeout: .seconds(360), outputPrefix: directory + "/client")
        }
        #expect(run.status == 0, "client stderr:\n\(run.stderr)")
        let seen = try JSONParser.parse(run.stdout)
        print("[e2e] serve with openai \(seen["openai_version"]?.stringValue ?? "?"): \(ContinuousClock.now - started)")

        #expect(seen["models"] == .array([.string("smol")]))
        let chat = try #require(seen["chat"])
        #expect(chat["content"] == .string(golden.generatedText))
        #expect(chat["finish_reason"] == .string("length"))
        #expect(chat["object"] == .string("chat.completion"))
        #expect(chat["usage"]?["completion_tokens"] == .integer(Int64(golden.generatedIDs.count)))
        #expect(chat["usage"]?["prompt_tokens"] == .integer(25))
        let chatStream = try #require(seen["chat_stream"])
        #expect(chatStream["content"] == .string(golden.generatedText))
        #expect(chatStream["finish_reason"] == .string("length"))
        #expect(chatStream["usage"] == chat["usage"])
        #expect((chatStream["chunks"]?.integerValue ?? 0) >= 2)
        let completion = try #require(seen["completion"])
        #expect(completion["object"] == .string("text_completion"))
        #expect(completion["text"]?.stringValue?.isEmpty == false)
        #expect(seen["completion_stream"]?["text"] == completion["text"])
        let unknown = try #require(seen["unknown_model"])
        #expect(unknown["raised"] == .string("NotFoundError"))
        #expect(unknown["status"] == .integer(404))
        #expect(unknown["body"]?["code"] == .string("model_not_found"))
        #expect(unknown["body"]?["type"] == .string("invalid_request_error"))
        let disconnect = try #require(seen["disconnect"])
        #expect(disconnect["received"]?.stringValue?.isEmpty == false)
        #expect(disconnect["other_content"] == .string(golden.generatedText))
        let cancelledID = try #require(disconnect["request_id"]?.stringValue)

        kill(serve.pid, SIGTERM)
        let outcome = try await serve.wait(timeout: .seconds(60))
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        let logs = outcome.stderr.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let cancels = logs.filter { $0["msg"] == .string("client disconnected; its request is cancelled") }
        #expect(cancels.map { $0["id"]?.stringValue } == [cancelledID], "\(outcome.transcript)")
        #expect(logs.contains { $0["msg"] == .string("gateway stopped") })
    }
}
