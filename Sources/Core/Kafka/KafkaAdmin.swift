import CKafka

/// Topic administration on a real Kafka cluster (librdkafka's Admin API). The
/// embedded broker has no Admin API, and names broker 0, none of its brokers, as its
/// controller, so librdkafka would wait for a controller until the request timed out:
/// `createTopics` sees that in the metadata and fails at once (`noController`). Create
/// the embedded broker's topics with `EmbeddedBroker.createTopics` instead - both are
/// `TopicCreator`s.
public final class KafkaAdmin: TopicCreator {
    /// How long a request waits for the cluster's answer unless told otherwise.
    public let defaultTimeout: Duration

    private let handle: KafkaHandle

    private let bootstrapServers: String

    public init(config: KafkaConfig, defaultTimeout: Duration = .seconds(30),
                logHandler: KafkaLogHandler? = nil) throws {
        self.defaultTimeout = defaultTimeout
        bootstrapServers = config.bootstrapServers ?? "(no bootstrap.servers)"
        handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, role: "admin client", config: config,
                                 context: ClientContext(logHandler: logHandler))
    }

    public func createTopics(_ names: [String], partitions: Int, replicationFactor: Int) throws {
        try createTopics(names, partitions: partitions, replicationFactor: replicationFactor, timeout: defaultTimeout)
    }

    /// Asks any broker for the cluster's brokers (waiting at most `timeout`, default
    /// `defaultTimeout`), so an unreachable cluster is told apart from one that does not
    /// answer admin requests.
    /// - Throws: `KafkaError.clusterUnreachable`.
    public func checkReachable(timeout: Duration? = nil) throws {
        _ = try brokerIDs(timeout: timeout ?? defaultTimeout)
    }

    /// The ids of the cluster's brokers, from a metadata request to any of them.
    /// - Throws: `KafkaError.clusterUnreachable`.
    private func brokerIDs(timeout: Duration) throws -> [Int32] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, timeout.kafkaMilliseconds)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.clusterUnreachable(bootstrapServers: bootstrapServers, timeoutMilliseconds: Int(timeout.kafkaMilliseconds))
        }
        return UnsafeBufferPointer(start: metadata.pointee.brokers, count: Int(metadata.pointee.broker_cnt)).map(\.id)
    }

    /// Creates the topics and waits (at most `timeout`) until the cluster has made
    /// them. Topics that already exist are left as they are.
    /// - Throws: `KafkaError.clusterUnreachable` when no broker answers metadata
    ///   within `timeout`, `KafkaError.noController` at once when the metadata names a
    ///   controller that is none of the cluster's brokers (as librdkafka's mock cluster
    ///   does: CreateTopics goes to the controller), `KafkaError.createTopicFailed` for
    ///   the first topic the cluster refused, `KafkaError.adminTimedOut` when the
    ///   cluster did not answer CreateTopics in time.
    public func createTopics(_ names: [String], partitions: Int, replicationFactor: Int, timeout: Duration) throws {
        guard !names.isEmpty else { return }
        let brokers = try brokerIDs(timeout: timeout)
        let operation = "creating topics \(names.joined(separator: ", "))"
        // Known from the metadata just read, so no wait. An unknown controller (-1, e.g.
        // during an election) is left to librdkafka, which waits for one to be elected.
        let controller = rd_kafka_controllerid(handle.pointer, 0)
        if controller >= 0, !brokers.contains(controller) {
            throw KafkaError.noController(operation: operation, controllerID: controller, brokerIDs: brokers.sorted())
        }
        let milliseconds = timeout.kafkaMilliseconds
        var reason = ErrorStringBuffer()

        var newTopics = [OpaquePointer?]()
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for name in names {
            guard let topic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor),
                                                    &reason.bytes, reason.bytes.count) else {
                throw KafkaError.createTopicFailed(topic: name, code: KafkaErrorCode(RD_KAFKA_RESP_ERR__INVALID_ARG),
                                                   reason: reason.text)
            }
            newTopics.append(topic)
        }

        let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        // Wait for the answer as long as the broker may take to make the topics.
        _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &reason.bytes, reason.bytes.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &reason.bytes, reason.bytes.count)

        let queue = rd_kafka_queue_new(handle.pointer)
        defer { rd_kafka_queue_destroy(queue) }
        rd_kafka_CreateTopics(handle.pointer, &newTopics, newTopics.count, options, queue)

        // A little longer than the request timeout, so librdkafka's own timeout answers first.
        guard let event = rd_kafka_queue_poll(queue, milliseconds + 1000) else {
            throw KafkaError.adminTimedOut(operation: operation, timeoutMilliseconds: Int(milliseconds))
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = KafkaErrorCode(rd_kafka_event_error(event))
        if eventError == .timedOut {
            throw KafkaError.adminTimedOut(operation: operation, timeoutMilliseconds: Int(milliseconds))
        }
        if eventError != .noError {
            throw KafkaError.createTopicFailed(topic: names.joined(separator: ", "), code: eventError,
                                               reason: rd_kafka_event_error_string(event).map { String(cString: $0) } ?? "")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
              let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for topicResult in UnsafeBufferPointer(start: results, count: count) {
            let code = KafkaErrorCode(rd_kafka_topic_result_error(topicResult))
            if code != .noError && code != .topicAlreadyExists {
                throw KafkaError.createTopicFailed(
                    topic: String(cString: rd_kafka_topic_result_name(topicResult)), code: code,
                    reason: rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? "")
            }
        }
    }
}
