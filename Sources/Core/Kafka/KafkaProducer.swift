import CKafka

/// A Kafka producer whose `send` returns once the broker has acknowledged the message.
///
/// Idempotent unless the configuration says otherwise (`enable.idempotence=true`:
/// librdkafka's retries then never duplicate or reorder a message). Delivery reports
/// are served on a background thread, so callers never poll. Safe to share between
/// tasks and threads.
public final class KafkaProducer: Sendable {
    /// Properties a producer gets unless its configuration sets them.
    public static let defaultProperties: [String: String] = ["enable.idempotence": "true"]

    let handle: KafkaHandle
    private let deliveryPoller: PollingThread

    public init(config: KafkaConfig, logHandler: KafkaLogHandler? = nil) throws {
        let handle = try KafkaHandle(
            type: RD_KAFKA_PRODUCER, role: "producer",
            config: config.withDefaults(Self.defaultProperties),
            context: ClientContext(logHandler: logHandler)
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, resolveDelivery)
        }
        self.handle = handle
        self.deliveryPoller = PollingThread { rd_kafka_poll(handle.pointer, 100) }
    }

    /// Stops serving delivery reports and destroys the client: messages not yet
    /// delivered are dropped, so `flush` first. (No `send` can be waiting here: a
    /// waiting `send` keeps its producer alive.)
    deinit {
        deliveryPoller.stopAndJoin()
    }

    /// Sends one message and waits for the broker's acknowledgement.
    ///
    /// - Parameters:
    ///   - partition: nil lets librdkafka's partitioner choose (by key hash when there is a key).
    ///   - key: nil sends a message without a key.
    /// - Throws: `KafkaError.produceFailed` when librdkafka refuses the message before
    ///   queueing it (e.g. `MSG_SIZE_TOO_LARGE` above `message.max.bytes`,
    ///   `_UNKNOWN_PARTITION`, `_QUEUE_FULL`), `KafkaError.deliveryFailed` when it was
    ///   queued but not delivered (e.g. `_MSG_TIMED_OUT`, `UNKNOWN_TOPIC_OR_PART`).
    ///   Cancelling the task does not withdraw a queued message; its report is awaited.
    public func send(topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8],
                     headers: [KafkaHeader] = []) async throws -> DeliveryReport {
        let deliveries = handle.context.deliveries
        return try await withCheckedThrowingContinuation { continuation in
            let id = deliveries.register(continuation)
            if let refusal = enqueue(id: id, topic: topic, partition: partition, key: key, value: value,
                                     headers: headers) {
                deliveries.take(id)?.resume(throwing: refusal)
            }
        }
    }

    /// Waits until every queued message is delivered (or failed).
    /// - Throws: `KafkaError.flushTimedOut` with the number of messages (and
    ///   librdkafka events) still outstanding.
    public func flush(timeout: Duration) throws {
        let result = rd_kafka_flush(handle.pointer, Int32(timeout.kafkaMilliseconds))
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.flushTimedOut(pendingMessages: rd_kafka_outq_len(handle.pointer))
        }
    }

    /// Hands the message to librdkafka (which copies everything); returns why it
    /// refused, if it did. On success the delivery callback later resolves `id`.
    private func enqueue(id: UInt, topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8],
                         headers: [KafkaHeader]) -> KafkaError? {
        let nativeHeaders = rd_kafka_headers_new(headers.count)
        for header in headers {
            header.value.withUnsafeBytes { bytes in
                _ = rd_kafka_header_add(nativeHeaders, header.name, -1, bytes.baseAddress, bytes.count)
            }
        }
        let failure: (code: KafkaErrorCode, reason: String)? = topic.withCString { topicName in
            value.withUnsafeBytes { valueBytes in
                withOptionalBytes(key) { keyBytes in
                    var fields = [rd_kafka_vu_t]()
                    fields.append(.field(RD_KAFKA_VTYPE_TOPIC) { $0.cstr = topicName })
                    if let partition {
                        fields.append(.field(RD_KAFKA_VTYPE_PARTITION) { $0.i32 = partition })
                    }
                    fields.append(.field(RD_KAFKA_VTYPE_VALUE) {
                        $0.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                        $0.mem.size = valueBytes.count
                    })
                    if let keyBytes {
                        fields.append(.field(RD_KAFKA_VTYPE_KEY) {
                            $0.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                            $0.mem.size = keyBytes.count
                        })
                    }
                    fields.append(.field(RD_KAFKA_VTYPE_MSGFLAGS) { $0.i = RD_KAFKA_MSG_F_COPY })
                    fields.append(.field(RD_KAFKA_VTYPE_OPAQUE) { $0.ptr = UnsafeMutableRawPointer(bitPattern: id) })
                    fields.append(.field(RD_KAFKA_VTYPE_HEADERS) { $0.headers = nativeHeaders })
                    guard let error = rd_kafka_produceva(handle.pointer, fields, fields.count) else { return nil }
                    defer { rd_kafka_error_destroy(error) }
                    return (KafkaErrorCode(rd_kafka_error_code(error)), String(cString: rd_kafka_error_string(error)))
                }
            }
        }
        guard let failure else { return nil }
        rd_kafka_headers_destroy(nativeHeaders)  // only a produced message takes ownership
        var reason = failure.reason
        if failure.code == .fatal {
            var fatalReason = ErrorStringBuffer()
            let fatalCode = rd_kafka_fatal_error(handle.pointer, &fatalReason.bytes, fatalReason.bytes.count)
            reason += " (\(KafkaErrorCode(fatalCode).name): \(fatalReason.text))"
        }
        return .produceFailed(topic: topic, code: failure.code, reason: reason)
    }
}

private func withOptionalBytes<Result>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

extension rd_kafka_vu_t {
    /// One field of an `rd_kafka_produceva` call.
    fileprivate static func field(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_s.__Unnamed_union_u) -> Void) -> rd_kafka_vu_t {
        var field = rd_kafka_vu_t()
        field.vtype = type
        set(&field.u)
        return field
    }
}

/// The delivery-report callback: resumes the `send` waiting for this message.
private let resolveDelivery: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, opaque in
    guard let message, let opaque else { return }
    let context = Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    guard let continuation = context.deliveries.take(UInt(bitPattern: message.pointee._private)) else { return }
    let topic = String(cString: rd_kafka_topic_name(message.pointee.rkt))
    if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        continuation.resume(returning: DeliveryReport(topic: topic, partition: message.pointee.partition,
                                                      offset: message.pointee.offset))
    } else {
        let partition = message.pointee.partition
        continuation.resume(throwing: KafkaError.deliveryFailed(
            topic: topic, partition: partition == RD_KAFKA_PARTITION_UA ? nil : partition,
            code: KafkaErrorCode(message.pointee.err)))
    }
}
