import Foundation
import Testing
@testable import Core

/// Generation over Kafka against a real `realign-worker` (docs/generation.md), on the
/// SmolLM2 GGUF. Needs the release binaries beside the test executable (`swift build -c
/// release`, then `swift test -c release --filter GenerationWorker`) or `REALIGN_WORKER`.
@Suite("GenerationWorker: generation requests over Kafka", .serialized, .timeLimit(.minutes(5)))
struct GenerationWorkerTests {
    static func smolModels() throws -> [String: ServedModel] {
        ["smol": try ServedModel(name: "smol", file: try SmolLM2ModelFile.file.get())]
    }

    static func ids(_ values: [JSONValue]) -> [Int32] { values.compactMap { $0.integerValue.map(Int32.init) } }

    @Test("Greedy over Kafka is the golden and the in-process output; chunks add up to the final; a seedless id repeats its tokens")
    func greedyStreamingAndSeedFromID() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("generation-plain")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fleet = try SingleWorkerFleet(models: [("smol", TestPaths.smolLM2)], logDirectory: "\(directory)/logs", runID: "gen-plain")
        let client = try RawGenerationRequests(fleet: fleet)
        let models = try Self.smolModels()
        let golden = try SmolLM2ModelFile.greedy()[0]

        let goldenBody = #""model": "smol", "input_ids": [\#(golden.promptIds.map(String.init).joined(separator: ","))], "temperature": 0, "max_tokens": 16"#
        let streamBody = #""model": "smol", "messages": [{"role": "user", "content": "What is the capital of France?"}], "temperature": 0, "max_tokens": 14, "stream": true"#
        try await client.send(id: "golden", goldenBody)
        try await client.send(id: "stream", streamBody)
        let answers = try client.answers(["golden", "stream"])

        let plain = try #require(answers["golden"])
        #expect(plain.chunks.isEmpty, "no chunks without stream")
        #expect(plain.tokenIDs == golden.generatedIds)
        #expect(plain.text == golden.generatedText)
        #expect(plain.last["finish_reason"] == .string("length"))
        #expect(plain.last["seq"] == .integer(0))
        #expect(plain.last["model"] == .string("smol") && plain.last["mode"] == .string("plain") && plain.last["lambda"] == nil)
        #expect(plain.last["usage"] == .object([
            JSONMember("prompt_tokens", .integer(Int64(golden.promptIds.count))), JSONMember("completion_tokens", .integer(16)),
            JSONMember("total_tokens", .integer(Int64(golden.promptIds.count + 16))),
        ]))
        let reply = try #require(client.replies.messages.first { $0.keyString == "golden" })
        #expect(reply.headers == [
            KafkaHeader(name: ReplyHeaders.contentType, string: ReplyHeaders.jsonContentType),
            KafkaHeader(name: ReplyHeaders.jobID, string: "golden"),
            KafkaHeader(name: ReplyHeaders.jobSHA256, string: SHA256.hex(client.requestBytes(id: "golden", goldenBody))),
        ])

        let streamed = try #require(answers["stream"])
        let alone = try GenerationAlone.run(client.requestBytes(id: "stream", streamBody), models: models)
        #expect(streamed.tokenIDs == alone.tokenIds)
        #expect(streamed.text == alone.text)
        #expect(streamed.last["finish_reason"] == .string(alone.finishReason.rawValue))
        #expect(streamed.chunks.count == (alone.tokenIds.count + 3) / 4)
        #expect(streamed.chunks.map { $0["seq"] } == (0..<streamed.chunks.count).map { .integer(Int64($0)) })
        #expect(streamed.last["seq"] == .integer(Int64(streamed.chunks.count)))
        #expect(streamed.chunks.allSatisfy { $0["done"] == .bool(false) && $0["attempt"] == streamed.last["attempt"] })
        #expect(streamed.chunks.dropLast().allSatisfy { $0["token_ids"]?.arrayValue?.count == 4 })
        #expect(streamed.chunks.flatMap { Self.ids($0["token_ids"]?.arrayValue ?? []) } == streamed.tokenIDs)
        #expect(streamed.chunks.compactMap { $0["text"]?.stringValue }.joined() == streamed.text)

        // No seed: it comes from the id, so the same request twice streams the same tokens.
        let sampledBody = #""model": "smol", "messages": [{"role": "user", "content": "Tell me a story."}], "temperature": 0.9, "top_k": 50, "max_tokens": 10, "stream": true"#
        try await client.send(id: "twice", sampledBody)
        let first = try #require(try client.answers(["twice"])["twice"])
        let firstCount = client.messages(of: "twice").count
        try await client.send(id: "twice", sampledBody)
        try client.replies.read(within: .seconds(60), hopeless: fleet.workerExited) { _ in
            client.messages(of: "twice").filter { $0["done"] == .bool(true) }.count == 2
        }
        let second = Array(client.messages(of: "twice")[firstCount...])
        let secondFinal = try #require(second.last)
        #expect(Self.ids(secondFinal["token_ids"]?.arrayValue ?? []) == first.tokenIDs)
        #expect(second.map { $0["seq"] } == (first.chunks + [first.last]).map { $0["seq"] })
        #expect(second.map { $0["token_ids"] } == (first.chunks + [first.last]).map { $0["token_ids"] })
        #expect(secondFinal["attempt"] != first.last["attempt"], "each execution has its own attempt")
        let sampledAlone = try GenerationAlone.run(client.requestBytes(id: "twice", sampledBody), models: models)
        #expect(first.tokenIDs == sampledAlone.tokenIds)

        let logged = try fleet.stopAndReadLog()
        #expect(logged.filter { $0["msg"]?.stringValue == "generation done" }.compactMap { $0["job"]?.stringValue }.sorted()
                == ["golden", "stream", "twice", "twice"])
    }

    @Test("A bad request and a cancel inside a running batch get their error replies; the others finish as alone; offsets are committed")
    func badRequestAndCancelInsideABatch() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("generation-faults")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fleet = try SingleWorkerFleet(models: [("smol", TestPaths.smolLM2)], logDirectory: "\(directory)/logs", runID: "gen-faults")
        let client = try RawGenerationRequests(fleet: fleet)
        let models = try Self.smolModels()

        let longBody = #""model": "smol", "messages": [{"role": "user", "content": "Explain photosynthesis."}], "temperature": 0, "max_tokens": 40, "stream": true"#
        let doomedBody = #""model": "smol", "prompt": "The history of Rome", "temperature": 0, "max_tokens": 400, "stream": true"#
        // Greedy: a sampled token at a near-tie may differ between a batch and a lone run,
        // whose matrix products round differently.
        let shortBody = #""model": "smol", "prompt": "One, two, three,", "temperature": 0, "max_tokens": 8"#
        var reports: [DeliveryReport] = []
        reports.append(try await client.send(id: "long", longBody))
        reports.append(try await client.send(id: "doomed", doomedBody))
        try client.waitForFirstChunk("doomed")
        #expect(!client.isAnswered("long"), "the batch is running")
        reports.append(try await client.send(id: "bad-mode", #""model": "smol", "mode": "inra", "prompt": "p""#))
        reports.append(try await client.send(id: "bad-model", #""model": "nope", "prompt": "p""#))
        reports.append(try await client.send(id: "short", shortBody))
        try await client.cancel("doomed")
        let answers = try client.answers(["long", "doomed", "bad-mode", "bad-model", "short"])

        #expect(answers["doomed"]?.errorCode == "cancelled")
        #expect((answers["doomed"]?.chunks.count ?? 0) < 100, "it stopped before its 400 tokens")
        #expect(answers["bad-mode"]?.errorCode == "bad_mode")
        #expect(answers["bad-model"]?.errorCode == "unknown_model")
        for (id, body) in [("long", longBody), ("short", shortBody)] {
            let alone = try GenerationAlone.run(client.requestBytes(id: id, body), models: models)
            let answer = try #require(answers[id])
            #expect(!answer.isError, "\(answer.last)")
            #expect(answer.tokenIDs == alone.tokenIds, "\(id)")
            #expect(answer.text == alone.text, "\(id)")
        }
        // The failures are in the DLQ; the cancel is not.
        try client.deadLetters.read(within: .seconds(15), hopeless: fleet.workerExited) { $0.count >= 2 }
        #expect(client.deadLetters.messages.compactMap(\.keyString).sorted() == ["bad-mode", "bad-model"])
        #expect(client.deadLetters.messages.map { $0.header(ReplyHeaders.errorCode).map { String(decoding: $0, as: UTF8.self) } }
                .compactMap { $0 }.sorted() == ["bad_mode", "unknown_model"])

        // Every request is answered, so every partition is committed to its end.
        let committed = try KafkaConsumer(config: fleet.config, groupID: fleet.topics.workerGroup)
        defer { committed.close() }
        let ends = Dictionary(reports.map { ($0.partition, $0.offset + 1) }, uniquingKeysWith: max)
        let deadline = ContinuousClock.now + .seconds(15)
        var offsets: [Int32: Int64?] = [:]
        repeat {
            for partition in ends.keys {
                offsets[partition] = try committed.committedOffset(topic: fleet.topics.requests, partition: partition)
            }
        } while offsets.contains { ends[$0.key] != $0.value } && ContinuousClock.now < deadline
        #expect(offsets.mapValues { $0 ?? -1 } == ends)
        #expect(fleet.isWorkerRunning, "\(fleet.logTail())")
    }

    /// An adapter that is not the identity: half of layer 0's residual contributions.
    static func perturbedAdapter(_ base: ModelWeights) -> LayerWeights {
        var adapter = base.layers[0]
        adapter.oProj = .dense(Matrix(rows: adapter.oProj.rows, cols: adapter.oProj.cols, values: adapter.oProj.matrix.values.map { $0 * 0.5 }))
        adapter.downProj = .dense(Matrix(rows: adapter.downProj.rows, cols: adapter.downProj.cols, values: adapter.downProj.matrix.values.map { $0 * 0.5 }))
        return adapter
    }

    static func writeAdapter(_ layer: LayerWeights, to path: String) throws {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for tensor in layer.huggingFaceTensors(prefix: InRaAdapter.prefix) {
            try writer.add(tensor.name, shape: tensor.shape, float32: tensor.values)
        }
        try Data(writer.serialized()).write(to: URL(fileURLWithPath: path))
    }

    @Test("InRa over Kafka (base GGUF + adapter file): a batch of lambdas gives each what it gives alone; the identity adapter is the plain model for any lambda")
    func inraBatchOfLambdas() async throws {
        let directory = try SingleWorkerFleet.temporaryDirectory("generation-inra")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try SmolLM2ModelFile.file.get()
        let perturbed = Self.perturbedAdapter(file.weights)
        try Self.writeAdapter(perturbed, to: "\(directory)/perturbed.safetensors")
        try Self.writeAdapter(InRaAdapter.identity(copying: file.weights.layers[0]), to: "\(directory)/identity.safetensors")
        let fleet = try SingleWorkerFleet(
            models: [("inra", TestPaths.smolLM2), ("identity", TestPaths.smolLM2)], logDirectory: "\(directory)/logs", runID: "gen-inra",
            extraArguments: ["--adapter", "inra=\(directory)/perturbed.safetensors", "--adapter", "identity=\(directory)/identity.safetensors"])
        let client = try RawGenerationRequests(fleet: fleet)
        let models = ["inra": try ServedModel(name: "inra", file: file, inra: InRaModel(base: file.weights, adapter: perturbed))]
        let golden = try SmolLM2ModelFile.greedy()[1]
        let prompt = golden.promptIds.map(String.init).joined(separator: ",")
        func body(_ model: String, _ extra: String) -> String {
            #""model": "\#(model)", "input_ids": [\#(prompt)], "temperature": 0, "max_tokens": 16\#(extra)"#
        }

        // One request alone, then four at once (timed below from the worker's log).
        try await client.send(id: "alone", body("inra", #", "lambda": 0.5"#))
        let alone = try #require(try client.answers(["alone"])["alone"])
        let lambdas = [0.0, 0.5, 1.0, 2.0]
        for lambda in lambdas { try await client.send(id: "lambda \(lambda)", body("inra", #", "lambda": \#(lambda)"#)) }
        let batch = try client.answers(lambdas.map { "lambda \($0)" })

        #expect(alone.last["mode"] == .string("inra") && alone.last["lambda"] == .double(0.5))
        var outputs: Set<[Int32]> = []
        for lambda in lambdas {
            let id = "lambda \(lambda)"
            let answer = try #require(batch[id])
            let expected = try GenerationAlone.run(client.requestBytes(id: id, body("inra", #", "lambda": \#(lambda)"#)), models: models)
            #expect(!answer.isError, "\(answer.last)")
            #expect(answer.tokenIDs == expected.tokenIds, "lambda \(lambda)")
            #expect(answer.text == expected.text, "lambda \(lambda)")
            outputs.insert(answer.tokenIDs)
        }
        #expect(batch["lambda 0.5"]?.tokenIDs == alone.tokenIDs)
        #expect(batch["lambda 0.0"]?.tokenIDs == golden.generatedIds, "lambda 0 is the base model")
        #expect(outputs.count > 1, "the perturbed adapter changes the output for some lambda")

        // The identity adapter: every lambda, and plain (the aligned stream), is the original model.
        let identityCases = [("id plain", #", "mode": "plain""#), ("id 0.5", #", "lambda": 0.5"#), ("id 2", #", "lambda": 2"#),
                             ("id -1", #", "control": -1"#)]
        for (id, extra) in identityCases { try await client.send(id: id, body("identity", extra)) }
        let identity = try client.answers(identityCases.map(\.0))
        for (id, _) in identityCases {
            #expect(identity[id]?.tokenIDs == golden.generatedIds, "\(id): \(identity[id]?.last ?? .null)")
            #expect(identity[id]?.text == golden.generatedText, "\(id)")
        }
        #expect(identity["id plain"]?.last["mode"] == .string("plain"))

        // The decode rate over Kafka, from taking a request to its final message's
        // acknowledgement (prefill included), on the worker's one thread.
        let done = try fleet.stopAndReadLog().filter { $0["msg"]?.stringValue == "generation done" }
        func seconds(_ id: String) -> Double { done.first { $0["job"]?.stringValue == id }?["seconds"]?.doubleValue ?? .infinity }
        let batchSeconds = lambdas.map { seconds("lambda \($0)") }.max()!
        #expect(seconds("alone").isFinite && batchSeconds.isFinite)
        print("InRa decode over Kafka (prompt \(golden.promptIds.count) tokens, 16 generated each, 1 thread): one request "
              + String(format: "%.1f", 16 / seconds("alone")) + " tokens/s, a batch of 4 "
              + String(format: "%.1f", 64 / batchSeconds) + " tokens/s")
    }
}
