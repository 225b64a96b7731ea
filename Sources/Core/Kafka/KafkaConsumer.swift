import CKafka
import Synchronization

/// A Kafka consumer with explicit, synchronous commits.
///
/// Either a consumer-group member (`subscribe`: the group spreads the partitions
/// among its members) or a reader of partitions it picks itself (`assign`, e.g. a
/// reply topic from the beginning, no group needed). Offsets are never committed or
/// stored automatically (`enable.auto.commit=false`, `enable.auto.offset.store=false`,
/// whatever the configuration says): a message counts as done only when `commit`
/// says so, which is what at-least-once processing needs.
///
/// Rebalances are handled inside `poll`: with the eager protocol (librdkafka's
/// default) a member gives up all its partitions and takes its new ones, with the
/// cooperative one only the moved partitions change. `poll`, `commit` and `close`
/// block the calling thread; call them from one thread (or task) at a time.
public final class KafkaConsumer: Sendable {
    /// What a consumer does where its group has no committed offset.
    public enum OffsetReset: String, Sendable {
        case earliest, latest
    }

    /// The consumer group, nil for a reader outside any group.
    public let groupID: String?

    /// The longest a group member may go without `poll` before the group drops it
    /// (`max.poll.interval.ms`, configured or librdkafka's default).
    public let maxPollInterval: Duration

    private let handle: KafkaHandle
    private let closed = Atomic<Bool>(false)

    /// - Parameters:
    ///   - groupID: the consumer group; nil uses the configuration's `group.id`, or
    ///     none: then only `assign` works, and `commit` throws.
    ///   - offsetReset: `auto.offset.reset`, overriding the configuration.
    public init(config: KafkaConfig, groupID: String? = nil, offsetReset: OffsetReset = .earliest,
                logHandler: KafkaLogHandler? = nil) throws {
        var config = config
        if let groupID { config["group.id"] = groupID }
        self.groupID = config["group.id"]
        // librdkafka's consumer refuses even `assign` without a group id
        // (_UNKNOWN_GROUP); a reader gets a private one that it never joins or commits to.
        if self.groupID == nil { config["group.id"] = "realign-reader-\(UInt64.random(in: 0...UInt64.max))" }
        config["auto.offset.reset"] = offsetReset.rawValue
        config["enable.auto.commit"] = "false"
        config["enable.auto.offset.store"] = "false"
        handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, role: "consumer", config: config,
                                 context: ClientContext(logHandler: logHandler)) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, applyRebalance)
        }
        // librdkafka's default, should a client not report it.
        maxPollInterval = .milliseconds(handle.property("max.poll.interval.ms").flatMap(Int64.init) ?? 300_000)
        // Serve logs, errors and rebalances from the consumer's queue, i.e. in `poll`.
        rd_kafka_poll_set_consumer(handle.pointer)
    }

    /// Joins the group (at the next `poll`) for these topics. Topics that do not exist
    /// yet are picked up when they appear.
    public func subscribe(topics: [String]) throws {
        try ensureOpen()
        let list = TopicPartitionList(topics.map { TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        let result = rd_kafka_subscribe(handle.pointer, list.pointer)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.subscribeFailed(topics: topics, code: KafkaErrorCode(result))
        }
    }

    /// Reads these partitions of a topic, starting at `offset`, outside any group
    /// rebalancing. Replaces any previous assignment.
    public func assign(topic: String, partitions: [Int32], from offset: KafkaOffset = .beginning) throws {
        try ensureOpen()
        let list = TopicPartitionList(partitions.map { TopicPartition(topic: topic, partition: $0) },
                                      offset: offset.rawValue)
        let result = rd_kafka_assign(handle.pointer, list.pointer)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.assignFailed(topic: topic, code: KafkaErrorCode(result))
        }
    }

    /// The partitions this consumer reads now (given by its group or by `assign`).
    public func assignment() throws -> [TopicPartition] {
        try ensureOpen()
        var native: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let result = rd_kafka_assignment(handle.pointer, &native)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let native else {
            throw KafkaError.queryFailed(operation: "reading the assignment", code: KafkaErrorCode(result))
        }
        defer { rd_kafka_topic_partition_list_destroy(native) }
        return TopicPartitionList.entries(of: native).map(\.partition).sorted()
    }

    /// Stops fetching these partitions until `resume`: librdkafka drops what it had
    /// prefetched for them and, on resume, fetches again from the message after the
    /// last one `poll` returned. A member that keeps polling stays in its group (and
    /// paused partitions stay paused across a rebalance, even one that takes them away
    /// and gives them back), which is how a worker busy with other work keeps its
    /// batch-job partitions without taking from them.
    public func pause(_ partitions: [TopicPartition]) throws {
        handle.context.resumeWhenAssigned.withLock { $0.subtract(partitions) }
        try setPaused(partitions, true)
    }

    /// Fetches paused partitions again (see `pause`). A partition not assigned now (the
    /// group took it away, e.g. from a member evicted during a long job) is resumed when
    /// the group gives it back: librdkafka would keep it paused for good.
    public func resume(_ partitions: [TopicPartition]) throws {
        let assigned = Set(try assignment())
        let later = partitions.filter { !assigned.contains($0) }
        handle.context.resumeWhenAssigned.withLock { $0.formUnion(later) }
        try setPaused(partitions.filter { assigned.contains($0) }, false)
    }

    private func setPaused(_ partitions: [TopicPartition], _ paused: Bool) throws {
        try ensureOpen()
        guard !partitions.isEmpty else { return }
        let list = TopicPartitionList(partitions)
        var result = paused ? rd_kafka_pause_partitions(handle.pointer, list.pointer)
                            : rd_kafka_resume_partitions(handle.pointer, list.pointer)
        if result == RD_KAFKA_RESP_ERR_NO_ERROR,
           let failed = TopicPartitionList.entries(of: list.pointer).first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            result = failed.error
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            let names = partitions.map(\.description).joined(separator: ", ")
            throw KafkaError.queryFailed(operation: "\(paused ? "pausing" : "resuming") \(names)", code: KafkaErrorCode(result))
        }
    }

    /// Makes a `poll` waiting on another thread return nil at once (or the next `poll`,
    /// when none waits): a thread polling for a while can be stopped without waiting
    /// out its timeout.
    public func interruptPoll() {
        guard let queue = rd_kafka_queue_get_consumer(handle.pointer) else { return }
        rd_kafka_queue_yield(queue)
        rd_kafka_queue_destroy(queue)
    }

    /// The next message, waiting at most `timeout`.
    ///
    /// Returns nil when nothing arrived in time, at the end of a partition, and on
    /// transient errors (broker unreachable, topic not created yet, ...), which
    /// librdkafka retries by itself and which are passed to the log handler at
    /// warning level. Also where rebalances take effect, so a group member must keep
    /// polling (at least every `max.poll.interval.ms`).
    /// - Throws: `KafkaError.consumeFailed` for errors that retrying cannot fix
    ///   (fatal errors, authorization failures).
    public func poll(timeout: Duration) throws -> KafkaMessage? {
        try ensureOpen()
        guard let native = rd_kafka_consumer_poll(handle.pointer, Int32(timeout.kafkaMilliseconds)) else { return nil }
        defer { rd_kafka_message_destroy(native) }
        let message = native.pointee
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) }
        guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let code = KafkaErrorCode(message.err)
            if code == .partitionEOF { return nil }
            let reason = String(cString: rd_kafka_message_errstr(native))
            if Self.permanentErrors.contains(code) {
                throw KafkaError.consumeFailed(topic: topic, partition: topic == nil ? nil : message.partition,
                                               code: code, reason: reason)
            }
            handle.context.log(level: 4, facility: "CONSUME", message: "\(code.name): \(reason)", client: handle.name)
            return nil
        }
        return KafkaMessage(
            topic: topic ?? "",
            partition: message.partition,
            offset: message.offset,
            key: message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) },
            value: message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? [],
            headers: Self.headers(of: native),
            timestamp: Self.timestamp(of: native)
        )
    }

    /// Commits, synchronously, that every message of this partition up to and
    /// including `offset` is done: the group's committed offset becomes `offset + 1`,
    /// the next message to read (Kafka's convention), which is where a member that
    /// takes the partition over starts.
    ///
    /// - Throws: `KafkaError.commitFailed`, e.g. with `REBALANCE_IN_PROGRESS` while the
    ///   group rebalances or when the partition is no longer this member's (the
    ///   message will then be delivered again, which at-least-once processing
    ///   allows), or `_UNKNOWN_GROUP` for a consumer without a group.
    public func commit(topic: String, partition: Int32, offset: Int64) throws {
        try ensureOpen()
        guard groupID != nil else {
            throw KafkaError.commitFailed(topic: topic, partition: partition, offset: offset,
                                          code: KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_GROUP))
        }
        let list = TopicPartitionList([TopicPartition(topic: topic, partition: partition)], offset: offset + 1)
        var result = rd_kafka_commit(handle.pointer, list.pointer, 0)
        if result == RD_KAFKA_RESP_ERR_NO_ERROR, let entry = TopicPartitionList.entries(of: list.pointer).first {
            result = entry.error
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.commitFailed(topic: topic, partition: partition, offset: offset,
                                          code: KafkaErrorCode(result))
        }
    }

    /// Commits `message` as done (see `commit(topic:partition:offset:)`).
    public func commit(_ message: KafkaMessage) throws {
        try commit(topic: message.topic, partition: message.partition, offset: message.offset)
    }

    /// The group's committed offset of a partition - the next offset to read - asked
    /// of the group coordinator; nil when nothing was committed.
    public func committedOffset(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws -> Int64? {
        try ensureOpen()
        let list = TopicPartitionList([TopicPartition(topic: topic, partition: partition)])
        var result = rd_kafka_committed(handle.pointer, list.pointer, Int32(timeout.kafkaMilliseconds))
        let entry = TopicPartitionList.entries(of: list.pointer).first
        if result == RD_KAFKA_RESP_ERR_NO_ERROR, let entry { result = entry.error }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let entry else {
            throw KafkaError.queryFailed(operation: "reading the committed offset of '\(topic)' [\(partition)]",
                                         code: KafkaErrorCode(result))
        }
        return entry.offset >= 0 ? entry.offset : nil
    }

    /// How far this consumer is behind on each partition it holds: the high watermark
    /// (as last fetched) minus its position. Partitions with nothing fetched yet are left
    /// out. Cheap: no broker request.
    public func lag() throws -> [(partition: TopicPartition, messages: Int64)] {
        let partitions = try assignment()
        guard !partitions.isEmpty else { return [] }
        let list = TopicPartitionList(partitions)
        _ = rd_kafka_position(handle.pointer, list.pointer)
        var lags: [(partition: TopicPartition, messages: Int64)] = []
        for entry in TopicPartitionList.entries(of: list.pointer) {
            var low: Int64 = 0
            var high: Int64 = 0
            let result = rd_kafka_get_watermark_offsets(handle.pointer, entry.partition.topic, entry.partition.partition, &low, &high)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { continue }
            let position = entry.offset >= 0 ? entry.offset : low
            lags.append((entry.partition, max(0, high - position)))
        }
        return lags
    }

    /// The low and high watermark of a partition (its first offset and the offset the
    /// next message will get), asked of the partition's leader.
    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws -> (low: Int64, high: Int64) {
        try ensureOpen()
        var low: Int64 = 0
        var high: Int64 = 0
        let result = rd_kafka_query_watermark_offsets(handle.pointer, topic, partition, &low, &high, Int32(timeout.kafkaMilliseconds))
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.queryFailed(operation: "reading the watermarks of '\(topic)' [\(partition)]", code: KafkaErrorCode(result))
        }
        return (low, high)
    }

    /// This member's id in its group (empty before it has joined).
    public var memberID: String {
        guard let id = rd_kafka_memberid(handle.pointer) else { return "" }
        defer { rd_kafka_mem_free(handle.pointer, id) }
        return String(cString: id)
    }

    /// Leaves the group at once (its partitions go to the other members without
    /// waiting for the session timeout) and stops fetching. Later calls do nothing;
    /// any other use afterwards throws `KafkaError.consumerClosed`.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let result = rd_kafka_consumer_close(handle.pointer)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            handle.context.log(level: 4, facility: "CLOSE", message: "close: \(KafkaErrorCode(result))",
                               client: handle.name)
        }
    }

    private func ensureOpen() throws {
        if closed.load(ordering: .acquiring) { throw KafkaError.consumerClosed }
    }

    private static let permanentErrors: Set<KafkaErrorCode> = [
        .fatal,
        KafkaErrorCode(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED),
        KafkaErrorCode(RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED),
        KafkaErrorCode(RD_KAFKA_RESP_ERR__AUTHENTICATION),
    ]

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var native: OpaquePointer?
        guard rd_kafka_message_headers(message, &native) == RD_KAFKA_RESP_ERR_NO_ERROR, let native else { return [] }
        var headers = [KafkaHeader]()
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(native, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return headers
    }

    private static func timestamp(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || milliseconds < 0 ? nil : milliseconds
    }
}

/// The rebalance callback (run inside `poll` and `close`): takes the partitions the
/// group gives and gives up the ones it takes away, eagerly or incrementally as the
/// group's protocol requires, and logs the change.
private let applyRebalance: @convention(c) (
    OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
) -> Void = { client, event, partitions, _ in
    guard let client else { return }
    let cooperative = rd_kafka_rebalance_protocol(client).map { String(cString: $0) } == "COOPERATIVE"
    let assigning = event == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
    var failure: KafkaErrorCode?
    if cooperative {
        let error = assigning ? rd_kafka_incremental_assign(client, partitions)
                              : rd_kafka_incremental_unassign(client, partitions)
        if let error {
            failure = KafkaErrorCode(rd_kafka_error_code(error))
            rd_kafka_error_destroy(error)
        }
    } else {
        let result = rd_kafka_assign(client, assigning ? partitions : nil)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { failure = KafkaErrorCode(result) }
    }
    guard let context = ClientContext.of(client) else { return }
    if assigning, failure == nil, let partitions {
        let given = Set(TopicPartitionList.entries(of: partitions).map(\.partition))
        let resumed = context.resumeWhenAssigned.withLock { waiting in
            defer { waiting.subtract(given) }
            return waiting.intersection(given)
        }
        if !resumed.isEmpty {
            let list = TopicPartitionList(resumed.sorted())
            let result = withExtendedLifetime(list) { rd_kafka_resume_partitions(client, list.pointer) }
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { failure = KafkaErrorCode(result) }
        }
    }
    let moved = partitions.map { TopicPartitionList.entries(of: $0).map(\.partition.description) } ?? []
    let action = assigning ? "assigned" : event == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? "revoked" : "rebalance error \(KafkaErrorCode(event).name), unassigned"
    var line = "\(action): \(moved.isEmpty ? "nothing" : moved.joined(separator: ", "))"
    if let failure { line += " (failed: \(failure))" }
    context.log(level: failure == nil ? 6 : 3, facility: "REBALANCE", message: line,
                client: String(cString: rd_kafka_name(client)))
}
