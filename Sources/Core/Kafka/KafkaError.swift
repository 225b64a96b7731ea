/// Everything the Kafka layer can fail with, each case naming what was being done and,
/// where librdkafka reported one, its error code (whose `name` is e.g.
/// `MSG_SIZE_TOO_LARGE`).
public enum KafkaError: Error, Equatable, CustomStringConvertible {
    /// A `-X` option that is not of the form `key=value`.
    case malformedOption(String)
    /// A `-F` properties file that cannot be read.
    case unreadableConfigFile(path: String, reason: String)
    /// A line of a `-F` properties file that is not `key=value` (the line's text is not
    /// quoted: it may hold a secret).
    case malformedConfigFile(path: String, line: Int, problem: String)
    /// librdkafka refused a configuration property (unknown key or invalid value).
    case invalidProperty(key: String, reason: String)
    /// librdkafka could not create a client handle (or the mock cluster).
    case clientCreationFailed(role: String, reason: String)
    /// The message was refused before it was queued (too large, unknown partition, queue full...).
    case produceFailed(topic: String, code: KafkaErrorCode, reason: String)
    /// The broker (or librdkafka after retries) failed the delivery of a queued message;
    /// `partition` is nil when none had been chosen yet (e.g. the topic is unknown).
    case deliveryFailed(topic: String, partition: Int32?, code: KafkaErrorCode)
    /// `flush` returned with messages still undelivered (`rd_kafka_outq_len`, which
    /// also counts librdkafka events not yet served).
    case flushTimedOut(pendingMessages: Int32)
    case subscribeFailed(topics: [String], code: KafkaErrorCode)
    case assignFailed(topic: String, code: KafkaErrorCode)
    /// A consumer error that is not transient (fatal, or an authorization failure).
    case consumeFailed(topic: String?, partition: Int32?, code: KafkaErrorCode, reason: String)
    case commitFailed(topic: String, partition: Int32, offset: Int64, code: KafkaErrorCode)
    case queryFailed(operation: String, code: KafkaErrorCode)
    /// The consumer was used after `close()`.
    case consumerClosed
    /// The broker answered CreateTopics for this topic with an error other than "already exists".
    case createTopicFailed(topic: String, code: KafkaErrorCode, reason: String)
    /// An admin request got no answer within its timeout.
    case adminTimedOut(operation: String, timeoutMilliseconds: Int)
    /// The cluster's metadata names a controller that is none of its brokers, so no
    /// admin request can be sent (librdkafka's mock cluster names broker 0 and has no
    /// Admin API).
    case noController(operation: String, controllerID: Int32, brokerIDs: [Int32])
    /// No broker of the cluster answered a metadata request in time.
    case clusterUnreachable(bootstrapServers: String, timeoutMilliseconds: Int)
    /// A call into the embedded (mock) broker failed.
    case mockClusterFailed(operation: String, code: KafkaErrorCode)

    public var description: String {
        switch self {
        case .malformedOption(let option) where option.contains("="):
            // Only an empty key gets here; what follows '=' may be a secret.
            return "malformed Kafka option: the key before '=' is empty (as in -X key=value)"
        case .malformedOption(let option):
            return "malformed Kafka option '\(option)': expected key=value (as in -X key=value)"
        case .unreadableConfigFile(let path, let reason):
            return "cannot read the Kafka properties file \(path): \(reason)"
        case .malformedConfigFile(let path, let line, let problem):
            return "Kafka properties file \(path), line \(line): \(problem)"
        case .invalidProperty(let key, let reason):
            return "invalid Kafka property '\(key)': \(reason)"
        case .clientCreationFailed(let role, let reason):
            return "could not create the Kafka \(role): \(reason)"
        case .produceFailed(let topic, let code, let reason):
            return "could not produce to '\(topic)': \(code.name): \(reason)"
        case .deliveryFailed(let topic, let partition, let code):
            return "delivery to '\(topic)'\(partition.map { " [\($0)]" } ?? "") failed: \(code)"
        case .flushTimedOut(let pending):
            return "flush timed out with \(pending) message(s) still undelivered"
        case .subscribeFailed(let topics, let code):
            return "could not subscribe to \(topics.joined(separator: ", ")): \(code)"
        case .assignFailed(let topic, let code):
            return "could not assign partitions of '\(topic)': \(code)"
        case .consumeFailed(let topic, let partition, let code, let reason):
            let place = topic.map { " from '\($0)'" + (partition.map { " [\($0)]" } ?? "") } ?? ""
            return "consume\(place) failed: \(code.name): \(reason)"
        case .commitFailed(let topic, let partition, let offset, let code):
            return "commit of offset \(offset) on '\(topic)' [\(partition)] failed: \(code)"
        case .queryFailed(let operation, let code):
            return "\(operation) failed: \(code)"
        case .consumerClosed:
            return "the Kafka consumer was used after close()"
        case .createTopicFailed(let topic, let code, let reason):
            return "could not create topic '\(topic)': \(code.name): \(reason)"
        case .adminTimedOut(let operation, let timeout):
            return "\(operation) got no answer within \(timeout) ms"
        case .noController(let operation, let controller, let brokers):
            let known = brokers.map(String.init).joined(separator: ", ")
            return "\(operation): the cluster names broker \(controller) as its controller, none of its brokers (\(known)), so it takes no admin requests"
        case .mockClusterFailed(let operation, let code):
            return "embedded broker: \(operation) failed: \(code)"
        case .clusterUnreachable(let servers, let timeout):
            return "no broker at \(servers) answered within \(timeout) ms (check bootstrap.servers / --brokers, and that the cluster is up)"
        }
    }
}

extension KafkaError {
    private var produceCode: KafkaErrorCode? {
        switch self {
        case .produceFailed(_, let code, _), .deliveryFailed(_, _, let code): code
        default: nil
        }
    }

    /// The broker or the client refused a message for its size; retrying cannot help.
    var isMessageTooLarge: Bool { produceCode == .messageSizeTooLarge }

    /// The topic does not exist (and the cluster does not create topics on use): a
    /// job's `reply_to` that cannot be answered, not a broker outage.
    var isUnknownTopic: Bool {
        produceCode == .unknownTopicOrPartition || produceCode == .localUnknownTopic
    }

    var isRetriable: Bool { !isMessageTooLarge && !isUnknownTopic }

    /// The cluster takes no admin requests (no controller) or did not answer one in
    /// time: topics are left for it to create on first use.
    public var isAdminUnanswered: Bool {
        switch self {
        case .adminTimedOut, .noController: true
        default: false
        }
    }
}
