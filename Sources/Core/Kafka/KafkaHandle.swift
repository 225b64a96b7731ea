import CKafka

/// Owns one librdkafka client handle (`rd_kafka_t`) and the context its callbacks use.
///
/// `@unchecked Sendable`: librdkafka documents its client API as thread-safe (the
/// handle's state is guarded by librdkafka's own locks), and the pointer itself never
/// changes. The handle is destroyed when the last reference goes away, after which the
/// context (kept here) is released.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let context: ClientContext

    /// - Parameter configure: sets role-specific callbacks on the native configuration.
    init(type: rd_kafka_type_t, role: String, config: KafkaConfig, context: ClientContext,
         configure: (OpaquePointer) -> Void = { _ in }) throws {
        let conf = try config.makeNativeConfig()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, forwardLog)
        configure(conf)
        var reason = ErrorStringBuffer()
        guard let client = rd_kafka_new(type, conf, &reason.bytes, reason.bytes.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.clientCreationFailed(role: role, reason: config.redacting(reason.text))
        }
        self.pointer = client
        self.context = context
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    var name: String { String(cString: rd_kafka_name(pointer)) }

    /// A configuration property as the client runs with it: the value it was given or
    /// librdkafka's default; nil for a name librdkafka does not know.
    func property(_ name: String) -> String? {
        let conf = rd_kafka_conf(pointer)
        var size = 0
        guard rd_kafka_conf_get(conf, name, nil, &size) == RD_KAFKA_CONF_OK else { return nil }
        var value = [CChar](repeating: 0, count: size)
        guard rd_kafka_conf_get(conf, name, &value, &size) == RD_KAFKA_CONF_OK else { return nil }
        return String(decoding: value.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Duration {
    /// Whole milliseconds, clamped to what librdkafka's `int timeout_ms` parameters take.
    var kafkaMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(Int32.max) / 1000 else { return Int32.max }
        return Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
