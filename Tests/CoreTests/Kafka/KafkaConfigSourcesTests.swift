import Foundation
import Testing
@testable import Core

/// Kafka properties from `-F` files and `REALIGN_KAFKA_*` variables, their precedence,
/// and secrets kept out of messages.
@Suite struct KafkaConfigSourcesTests {
    static func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-\(UUID()).properties").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsAFileAsKcatDoes() throws {
        let text = """
        # SASL over TLS
        security.protocol=SASL_SSL
          sasl.mechanisms = PLAIN\r

        sasl.username=svc-realign
        sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password="a=b";
        empty.value=
        #commented.out=1
        """
        #expect(try KafkaConfig.properties(fromFileText: text, path: "f") == [
            "security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN", "sasl.username": "svc-realign",
            "sasl.jaas.config": #"org.apache.kafka.common.security.plain.PlainLoginModule required password="a=b";"#,
            "empty.value": "",
        ])
    }

    @Test func malformedLinesAreNamedWithoutTheirText() {
        for (text, expected) in [
            ("a=1\nhunter2secret\n", "Kafka properties file f, line 2: expected key=value"),
            ("=hunter2secret", "Kafka properties file f, line 1: the key before '=' is empty"),
        ] {
            let error = #expect(throws: KafkaError.self) { try KafkaConfig.properties(fromFileText: text, path: "f") }
            #expect(error?.description == expected)
        }
        let missing = #expect(throws: KafkaError.self) { try KafkaConfig.properties(fromFile: "/nonexistent/kafka.properties") }
        #expect(missing?.description.hasPrefix("cannot read the Kafka properties file /nonexistent/kafka.properties: ") == true)
    }

    @Test func environmentVariablesNameProperties() {
        let environment = [
            "REALIGN_KAFKA_SASL_PASSWORD": "pw", "REALIGN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "REALIGN_KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "https", "REALIGN_KAFKA_SOME__UNDERSCORED_KEY": "u",
            "REALIGN_KAFKA_EMPTY": "", "REALIGN_KAFKA_": "x", "REALIGN_BROKERS": "b:9092", "KAFKA_SASL_USERNAME": "other",
        ]
        #expect(KafkaConfig.properties(fromEnvironment: environment) == [
            "sasl.password": "pw", "security.protocol": "SASL_SSL", "ssl.endpoint.identification.algorithm": "https",
            "some_underscored.key": "u",
        ])
    }

    @Test func flagsOverFilesOverEnvironmentAndBrokersOverAll() throws {
        let first = try Self.temporaryFile("a=file1\nb=file1\nc=file1\nbootstrap.servers=file:9092\n")
        let second = try Self.temporaryFile("b=file2\n")
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let environment = ["REALIGN_KAFKA_A": "env", "REALIGN_KAFKA_D": "env", "REALIGN_KAFKA_C": "env"]
        let config = try KafkaConfig(bootstrapServers: nil, passThrough: ["c=flag"], files: [first, second], environment: environment)
        #expect(config.properties == ["a": "file1", "b": "file2", "c": "flag", "d": "env", "bootstrap.servers": "file:9092"])
        let withBrokers = try KafkaConfig(bootstrapServers: "flag:9092", passThrough: [], files: [first], environment: [:])
        #expect(withBrokers.bootstrapServers == "flag:9092")
    }

    @Test func secretsAreRecognisedAndRedacted() {
        for key in ["sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret",
                    "sasl.jaas.config", "sasl.oauthbearer.config", "ssl.key.pem", "SASL.PASSWORD"] {
            #expect(KafkaConfig.isSecret(key), "\(key)")
        }
        for key in ["sasl.username", "security.protocol", "ssl.certificate.pem", "ssl.ca.location", "bootstrap.servers"] {
            #expect(!KafkaConfig.isSecret(key), "\(key)")
        }
        let config = KafkaConfig(bootstrapServers: "b:1", properties: ["sasl.password": "hunter2", "sasl.username": "me", "ssl.key.password": "pw"])
        #expect(config.redactedProperties == ["sasl.password": "[redacted]", "sasl.username": "me",
                                              "ssl.key.password": "[redacted]", "bootstrap.servers": "b:1"])
        #expect(config.redacting("auth failed for me with hunter2 (pw)") == "auth failed for me with [redacted] (pw)")
    }

    /// A configuration librdkafka refuses is reported by the refused key; secrets set
    /// beside it are not quoted, nor is a `-X` value whose key is missing.
    @Test func refusalsDoNotQuoteSecrets() {
        let config = KafkaConfig(properties: ["ssl.key.password": "hunter2-secret", "security.protocol": "bogus"])
        let error = #expect(throws: KafkaError.self) { try config.validate() }
        #expect(error?.description.hasPrefix("invalid Kafka property 'security.protocol': ") == true)
        #expect(error?.description.contains("hunter2-secret") == false)
        #expect(KafkaError.malformedOption("=hunter2").description == "malformed Kafka option: the key before '=' is empty (as in -X key=value)")
    }
}
