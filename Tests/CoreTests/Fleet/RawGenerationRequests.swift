import Foundation
import Testing
@testable import Core

/// A test's side of docs/generation.md on a `SingleWorkerFleet`: sends requests and
/// cancels, and reads the replies of each request id.
final class RawGenerationRequests {
    struct Answer {
        var chunks: [JSONValue]
        /// The final message or the error reply.
        var last: JSONValue
        var isError: Bool { last["error"] != nil }
        var tokenIDs: [Int32] { (last["token_ids"]?.arrayValue ?? []).compactMap { $0.integerValue.map(Int32.init) } }
        var text: String? { last["text"]?.stringValue }
        var errorCode: String? { last["error"]?["code"]?.stringValue }
    }

    let fleet: SingleWorkerFleet
    let producer: KafkaProducer
    let replies: TopicReader
    let deadLetters: TopicReader

    init(fleet: SingleWorkerFleet) throws {
        self.fleet = fleet
        producer = try KafkaProducer(config: fleet.config)
        replies = try TopicReader(config: fleet.config, topic: fleet.replyTopic, partitions: SingleWorkerFleet.partitions)
        deadLetters = try TopicReader(config: fleet.config, topic: fleet.topics.dlq, partitions: SingleWorkerFleet.partitions)
    }

    /// The request's JSON with the given `generate` members.
    func requestBytes(id: String, _ body: String) -> [UInt8] {
        Array(#"{"schema": 1, "id": "\#(id)", "kind": "generate", "reply_to": "\#(fleet.replyTopic)", "generate": {\#(body)}}"#.utf8)
    }

    @discardableResult
    func send(id: String, _ body: String) async throws -> DeliveryReport {
        try await producer.send(topic: fleet.topics.requests, key: Array(id.utf8), value: requestBytes(id: id, body))
    }

    func cancel(_ id: String) async throws {
        _ = try await producer.send(topic: fleet.topics.control, key: Array(id.utf8),
                                    value: Array(#"{"schema": 1, "kind": "cancel", "id": "\#(id)"}"#.utf8))
    }

    /// Every reply read so far for `id`, in order.
    func messages(of id: String) -> [JSONValue] {
        replies.messages.filter { $0.keyString == id }.compactMap { try? JSONParser.parse($0.value) }
    }

    func isAnswered(_ id: String) -> Bool {
        messages(of: id).contains { $0["done"] == .bool(true) || $0["error"] != nil }
    }

    /// Waits for the final message or error reply of each id.
    func answers(_ ids: [String], within limit: Duration = .seconds(120)) throws -> [String: Answer] {
        try replies.read(within: limit, hopeless: fleet.workerExited) { _ in ids.allSatisfy(isAnswered) }
        var answers: [String: Answer] = [:]
        for id in ids {
            var all = messages(of: id)
            let lastIndex = all.lastIndex { $0["done"] == .bool(true) || $0["error"] != nil }!
            let last = all[lastIndex]
            all = Array(all[..<lastIndex])
            answers[id] = Answer(chunks: all, last: last)
        }
        return answers
    }

    /// Waits until a first chunk of `id` has arrived (the request is running).
    func waitForFirstChunk(_ id: String) throws {
        try replies.read(within: .seconds(60), hopeless: fleet.workerExited) { _ in !messages(of: id).isEmpty }
    }
}

/// What a request generates when this process runs it alone, in a decode session of
/// its own: the worker's answer must be the same whatever else it batched it with.
enum GenerationAlone {
    static func run(_ bytes: [UInt8], models: [String: ServedModel]) throws -> GenerationResult {
        let job = try JobDecoder.decodeGeneration(bytes)
        let prepared = try PreparedGeneration.prepare(job, models: models)
        let session = DecodeSession(model: prepared.decodingModel, tokenizer: prepared.tokenizer)
        try session.add(prepared.request)
        return try #require(session.runToCompletion().first)
    }
}
