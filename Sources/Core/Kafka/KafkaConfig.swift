import CKafka

/// librdkafka client properties as plain strings (the names of librdkafka's
/// CONFIGURATION.md), so that anything librdkafka supports - SASL, TLS, timeouts - can
/// be passed through from the command line the way kcat does (`-X key=value`).
///
/// Values are only checked by librdkafka: `validate()` does so without creating a
/// client, and every client checks them when it is created.
public struct KafkaConfig: Sendable, Equatable {
    public var properties: [String: String]

    public init(bootstrapServers: String? = nil, properties: [String: String] = [:]) {
        self.properties = properties
        if let bootstrapServers { self.bootstrapServers = bootstrapServers }
    }

    /// Builds a configuration from `-X` option values (`key=value` each).
    public init(bootstrapServers: String? = nil, passThrough options: [String]) throws {
        self.init(bootstrapServers: bootstrapServers)
        try apply(passThrough: options)
    }

    public var bootstrapServers: String? {
        get { properties["bootstrap.servers"] }
        set { properties["bootstrap.servers"] = newValue }
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// Splits one `-X` option value at its first `=`: the key must be non-empty, the
    /// value may be empty or contain further `=` (as SASL JAAS strings do).
    public static func parseOption(_ option: String) throws -> (key: String, value: String) {
        guard let equals = option.firstIndex(of: "=") else { throw KafkaError.malformedOption(option) }
        let key = String(option[..<equals])
        guard !key.isEmpty else { throw KafkaError.malformedOption(option) }
        return (key, String(option[option.index(after: equals)...]))
    }

    /// Applies `-X` option values in order (a later one overrides an earlier one).
    public mutating func apply(passThrough options: [String]) throws {
        for option in options {
            let (key, value) = try Self.parseOption(option)
            properties[key] = value
        }
    }

    /// This configuration with `defaults` filled in where it sets nothing itself.
    public func withDefaults(_ defaults: [String: String]) -> KafkaConfig {
        var merged = self
        merged.properties.merge(defaults) { own, _ in own }
        return merged
    }

    /// Group and reconnect timings for tests and local fleets: a consumer that dies is
    /// noticed within 6 s (the lowest session timeout a real broker accepts by
    /// default), heartbeats fit well inside it, and a broker that comes back is
    /// reconnected to within half a second. Production keeps librdkafka's defaults.
    public static let fastTestTimings: [String: String] = [
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
        "reconnect.backoff.ms": "100",
        "reconnect.backoff.max.ms": "500",
    ]

    /// Checks every property with librdkafka, reporting the first one it refuses.
    public func validate() throws {
        let conf = try makeNativeConfig()
        rd_kafka_conf_destroy(conf)
    }

    /// A fresh `rd_kafka_conf_t` holding these properties, in key order so that the
    /// property reported on failure does not depend on dictionary order. The caller
    /// owns it (it is consumed by `rd_kafka_new`).
    func makeNativeConfig() throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var reason = ErrorStringBuffer()
        for key in properties.keys.sorted() {
            let result = rd_kafka_conf_set(conf, key, properties[key]!, &reason.bytes, reason.bytes.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.invalidProperty(key: key, reason: redacting(reason.text))
            }
        }
        return conf
    }
}
