import Foundation
import Synchronization
@testable import Core

/// A stand-in for the fleet in client tests: an embedded broker with the fleet's
/// topics, and a thread that reads every generation request and answers it with the
/// replies `script` gives (JSON values, an error reply when it has an `error` object),
/// with the headers a worker sets.
final class ScriptedGenerationWorker: Sendable {
    typealias Script = @Sendable (_ request: JSONValue, _ submission: Int) -> [JSONValue]

    let broker: EmbeddedBroker
    let topics = Topics()
    let config: KafkaConfig
    /// Every request read, in order (resubmissions included).
    let requests = Mutex<[KafkaMessage]>([])
    private let running = Atomic<Bool>(true)

    init(script: @escaping Script) throws {
        broker = try EmbeddedBroker()
        try broker.createTopics(topics.fleetTopics, partitions: 2, replicationFactor: 1)
        config = KafkaTestSupport.config(broker)
        let consumer = try KafkaConsumer(config: config)
        try consumer.assign(topic: topics.requests, partitions: [0, 1], from: .beginning)
        let producer = try KafkaProducer(config: config)
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                guard let message = try? consumer.poll(timeout: .milliseconds(50)) else { continue }
                let submission = requests.withLock { list in
                    list.append(message)
                    return list.filter { $0.key == message.key }.count
                }
                guard let request = try? JSONParser.parse(message.value), let replyTo = request["reply_to"]?.stringValue,
                      let id = request["id"]?.stringValue else { continue }
                for reply in script(request, submission) {
                    var headers = [KafkaHeader(name: ReplyHeaders.contentType, string: ReplyHeaders.jsonContentType),
                                   KafkaHeader(name: ReplyHeaders.jobID, string: id),
                                   KafkaHeader(name: ReplyHeaders.jobSHA256, string: SHA256.hex(message.value))]
                    if reply["error"] != nil { headers.append(KafkaHeader(name: ReplyHeaders.status, string: "error")) }
                    let done = DispatchSemaphore(value: 0)
                    Task {
                        _ = try? await producer.send(topic: replyTo, key: Array(id.utf8), value: reply.jsonBytes, headers: headers)
                        done.signal()
                    }
                    done.wait()
                }
            }
            consumer.close()
        }
        thread.start()
    }

    /// Stops the reading thread (which keeps this alive until it ends). It does not wait:
    /// the thread may be waiting for a send, which needs a thread of the cooperative
    /// pool that a caller blocked here would hold.
    func stop() {
        running.store(false, ordering: .releasing)
    }

    func client(resubmitAfter: Duration = .seconds(60), maxSubmissions: Int = 3) throws -> GenerationClient {
        try GenerationClient(kafka: config, topicCreator: broker,
                             options: .init(topics: topics, clientID: GenerationClient.newClientID(prefix: "test"), replyPartitions: 2,
                                            resubmitAfter: resubmitAfter, maxSubmissions: maxSubmissions))
    }

    /// The messages on the control topic, read from the start until `count` arrived.
    func controlMessages(count: Int) throws -> [KafkaMessage] {
        try KafkaTestSupport.readAll(broker, topic: topics.control, partitions: [0, 1], count: count)
    }

    // Replies as a worker writes them.

    static func chunk(_ id: String, attempt: String, seq: Int, text: String, tokens: [Int32]) -> JSONValue {
        GenerationReply.chunk(id: id, attempt: attempt, seq: seq, text: text, tokenIDs: tokens)
    }

    static func final(_ id: String, attempt: String, seq: Int, text: String, tokens: [Int32], finishReason: FinishReason = .stop,
                      mode: GenerationMode = .plain, lambda: Double? = nil, promptTokens: Int = 5) -> JSONValue {
        GenerationReply.final(id: id, attempt: attempt, seq: seq, text: text, tokenIDs: tokens, finishReason: finishReason,
                              models: .single("smol"), mode: mode, lambda: lambda, promptTokens: promptTokens)
    }

    static func error(_ id: String, code: JobErrorCode, message: String) -> JSONValue {
        ErrorReply(id: id, code: code, message: message).jsonValue
    }
}
