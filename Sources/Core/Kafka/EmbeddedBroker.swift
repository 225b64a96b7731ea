import CKafka

/// An in-process Kafka cluster: librdkafka's mock cluster, which speaks the real wire
/// protocol on local ports (other processes - kcat, Python clients - can use it),
/// with consumer groups, committed offsets and fault injection. It lives as long as
/// this object. Brokers are numbered `1...brokerCount`. Topics it does not know are
/// auto-created on first use with 4 partitions.
///
/// `@unchecked Sendable`: the cluster pointer never changes, and every mock call is
/// handed to the cluster's own thread through librdkafka's locked op queue.
public final class EmbeddedBroker: TopicCreator, @unchecked Sendable {
    public let brokerCount: Int
    /// `127.0.0.1:port,...` (random free ports).
    public let bootstrapServers: String

    /// The client hosting the cluster (a producer with no bootstrap servers).
    private let host: KafkaHandle
    private let cluster: OpaquePointer

    public init(brokerCount: Int = 1, logHandler: KafkaLogHandler? = nil) throws {
        precondition(brokerCount >= 1, "an embedded broker needs at least one broker")
        host = try KafkaHandle(type: RD_KAFKA_PRODUCER, role: "embedded broker host", config: KafkaConfig(),
                               context: ClientContext(logHandler: logHandler))
        guard let cluster = rd_kafka_mock_cluster_new(host.pointer, Int32(brokerCount)) else {
            throw KafkaError.clientCreationFailed(role: "embedded broker",
                                                  reason: "rd_kafka_mock_cluster_new(\(brokerCount)) failed")
        }
        self.cluster = cluster
        self.brokerCount = brokerCount
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    public var brokerIDs: ClosedRange<Int32> { 1...Int32(brokerCount) }

    /// Makes a topic; an existing topic is left as it is.
    /// - Parameter replicationFactor: at most `brokerCount`.
    public func createTopic(name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let result = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if result == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { return }
        try check("create topic '\(name)'", result)
    }

    public func createTopics(_ names: [String], partitions: Int, replicationFactor: Int) throws {
        for name in names { try createTopic(name: name, partitions: partitions, replicationFactor: replicationFactor) }
    }

    /// Disconnects the broker's clients and refuses new connections.
    public func setBrokerDown(_ broker: Int32) throws {
        try check("set broker \(broker) down", rd_kafka_mock_broker_set_down(cluster, broker))
    }

    public func setBrokerUp(_ broker: Int32) throws {
        try check("set broker \(broker) up", rd_kafka_mock_broker_set_up(cluster, broker))
    }

    /// Delays every response of the broker by `milliseconds`.
    public func setRTT(broker: Int32, milliseconds: Int) throws {
        try check("set RTT of broker \(broker)", rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(milliseconds)))
    }

    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws {
        try check("move leader of '\(topic)' [\(partition)] to broker \(broker)",
                  rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker))
    }

    /// Makes `broker` the coordinator of a consumer group.
    public func setGroupCoordinator(group: String, broker: Int32) throws {
        try check("move coordinator of group '\(group)' to broker \(broker)",
                  rd_kafka_mock_coordinator_set(cluster, "group", group, broker))
    }

    /// Makes the brokers answer every metadata request about `topic` with `error`
    /// (e.g. `.unknownTopicOrPartition`, as if it did not exist); `.noError` undoes it.
    public func setTopicError(topic: String, error: KafkaErrorCode) {
        rd_kafka_mock_topic_set_error(cluster, topic, error.cValue)
    }

    /// The next `errors.count` requests of this type (to any broker) fail with these
    /// errors, in order.
    public func pushRequestErrors(apiKey: KafkaAPIKey, errors: [KafkaErrorCode]) {
        let codes = errors.map(\.cValue)
        rd_kafka_mock_push_request_errors_array(cluster, apiKey.rawValue, codes.count, codes)
    }

    public func clearRequestErrors(apiKey: KafkaAPIKey) {
        rd_kafka_mock_clear_request_errors(cluster, apiKey.rawValue)
    }

    private func check(_ operation: String, _ result: rd_kafka_resp_err_t) throws {
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.mockClusterFailed(operation: operation, code: KafkaErrorCode(result))
        }
    }
}
