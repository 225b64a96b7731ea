import Testing
@testable import Core

@Suite struct KafkaConfigTests {
    @Test func parsesPassThroughOptions() throws {
        let config = try KafkaConfig(bootstrapServers: "b1:9092", passThrough: [
            "security.protocol=SASL_SSL",
            "sasl.jaas.config=org.Login required user=\"a\" password=\"b=c\";",
            "client.id=",
            "client.id=realign-test",
        ])
        #expect(config.properties == [
            "bootstrap.servers": "b1:9092",
            "security.protocol": "SASL_SSL",
            "sasl.jaas.config": "org.Login required user=\"a\" password=\"b=c\";",
            "client.id": "realign-test",
        ])
        #expect(config.bootstrapServers == "b1:9092")
        let split = try KafkaConfig.parseOption("linger.ms=5")
        #expect(split.key == "linger.ms" && split.value == "5")
        let empty = try KafkaConfig.parseOption("client.id=")
        #expect(empty.key == "client.id" && empty.value == "")
    }

    @Test func rejectsOptionsWithoutKeyValueShape() {
        #expect(throws: KafkaError.malformedOption("linger.ms")) { try KafkaConfig(passThrough: ["linger.ms"]) }
        #expect(throws: KafkaError.malformedOption("=5")) { try KafkaConfig.parseOption("=5") }
        #expect(KafkaError.malformedOption("linger.ms").description
            == "malformed Kafka option 'linger.ms': expected key=value (as in -X key=value)")
    }

    @Test func librdkafkaReportsUnknownPropertiesAndBadValuesWithTheKey() throws {
        let unknown = try KafkaConfig(passThrough: ["linger.ms=5", "no.such.property=1"])
        #expect(throws: KafkaError.invalidProperty(key: "no.such.property",
                                                   reason: "No such configuration property: \"no.such.property\"")) {
            try unknown.validate()
        }
        // librdkafka names the canonical property (linger.ms is an alias); the error keeps the key as given.
        let badValue = try KafkaConfig(passThrough: ["linger.ms=soon"])
        let expected = KafkaError.invalidProperty(
            key: "linger.ms", reason: "Invalid value for configuration property \"queue.buffering.max.ms\"")
        #expect(throws: expected) { try badValue.validate() }
        #expect(expected.description
            == "invalid Kafka property 'linger.ms': Invalid value for configuration property \"queue.buffering.max.ms\"")
        #expect(throws: KafkaError.invalidProperty(key: "no.such.property",
                                                   reason: "No such configuration property: \"no.such.property\"")) {
            _ = try KafkaProducer(config: unknown)
        }
    }

    @Test func presetsAndDefaultsAreValidAndDoNotOverrideExplicitSettings() throws {
        let config = KafkaConfig(bootstrapServers: "localhost:9092", properties: ["session.timeout.ms": "45000"])
            .withDefaults(KafkaConfig.fastTestTimings)
        #expect(config["session.timeout.ms"] == "45000")
        #expect(config["heartbeat.interval.ms"] == "1000")
        #expect(config["reconnect.backoff.ms"] == "100")
        #expect(config["reconnect.backoff.max.ms"] == "500")
        try config.validate()
        try KafkaConfig(properties: KafkaProducer.defaultProperties).validate()
        #expect(KafkaConfig.fastTestTimings == [
            "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000",
            "reconnect.backoff.ms": "100", "reconnect.backoff.max.ms": "500",
        ])
    }

    /// What the worker's long-job log compares a job's time with.
    @Test func aConsumerKnowsItsMaxPollIntervalSetOrDefault() throws {
        let set = try KafkaConsumer(config: KafkaConfig(bootstrapServers: "127.0.0.1:1", properties: [
            "max.poll.interval.ms": "7000", "session.timeout.ms": "6000"]), groupID: "g")
        defer { set.close() }
        #expect(set.maxPollInterval == .seconds(7))
        let unset = try KafkaConsumer(config: KafkaConfig(bootstrapServers: "127.0.0.1:1"), groupID: "g")
        defer { unset.close() }
        #expect(unset.maxPollInterval == .seconds(300))
    }

    @Test func durationsBecomeWholeMilliseconds() {
        #expect(Duration.milliseconds(1500).kafkaMilliseconds == 1500)
        #expect(Duration.seconds(2).kafkaMilliseconds == 2000)
        #expect(Duration.microseconds(999).kafkaMilliseconds == 0)
        #expect(Duration.seconds(-1).kafkaMilliseconds == 0)
        #expect(Duration.seconds(Int64.max / 2).kafkaMilliseconds == Int32.max)
    }
}
