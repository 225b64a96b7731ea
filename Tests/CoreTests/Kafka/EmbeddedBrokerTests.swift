import Foundation
import Testing
@testable import Core

/// The Kafka layer against an in-process librdkafka mock cluster.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct EmbeddedBrokerTests {
    typealias Support = KafkaTestSupport

    @Test func fiftyKeyedMessagesWithHeadersComeBackExactly() async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "round-trip", partitions: 3)
        let producer = try KafkaProducer(config: Support.config(broker))
        let reports = try await withThrowingTaskGroup(of: (Int, DeliveryReport).self) { group in
            for index in 0..<50 {
                group.addTask {
                    let report = try await producer.send(
                        topic: "round-trip", key: Support.bytes("key-\(index)"), value: Support.bytes("value-\(index)"),
                        headers: [KafkaHeader(name: "index", string: "\(index)"),
                                  KafkaHeader(name: "bytes", value: [0, 255, UInt8(index)])])
                    return (index, report)
                }
            }
            return try await group.reduce(into: [Int: DeliveryReport]()) { $0[$1.0] = $1.1 }
        }
        #expect(reports.count == 50)
        // Offsets of each partition are 0, 1, 2, ... without gaps; keys spread over all partitions.
        for partition: Int32 in 0...2 {
            let offsets = reports.values.filter { $0.partition == partition }.map(\.offset).sorted()
            #expect(!offsets.isEmpty)
            #expect(offsets == Array(0..<Int64(offsets.count)))
        }
        #expect(Set(reports.values.map(\.topic)) == ["round-trip"])

        let consumer = try KafkaConsumer(config: Support.config(broker), groupID: "round-trip-group")
        defer { consumer.close() }
        try consumer.subscribe(topics: ["round-trip"])
        let read = try Support.poll([consumer]) { $0.count >= 50 }.map(\.message)
        #expect(read.count == 50)
        for message in read {
            let index = try #require(Int(Support.text(message.header("index")) ?? ""))
            #expect(message.topic == "round-trip")
            #expect(message.key == Support.bytes("key-\(index)"))
            #expect(message.value == Support.bytes("value-\(index)"))
            #expect(message.headers == [KafkaHeader(name: "index", string: "\(index)"),
                                        KafkaHeader(name: "bytes", value: [0, 255, UInt8(index)])])
            #expect(reports[index] == DeliveryReport(topic: "round-trip", partition: message.partition,
                                                     offset: message.offset))
            let timestamp = try #require(message.timestamp)
            #expect(abs(timestamp - Int64(Date().timeIntervalSince1970 * 1000)) < 60_000)
        }
        #expect(Set(read.map { $0.keyString ?? "" }).count == 50)
        try producer.flush(timeout: .seconds(5))
    }

    @Test func deliveryReportsGiveTheOffsetsTheMessagesAreReadAt() async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "offsets", partitions: 3)
        let producer = try KafkaProducer(config: Support.config(broker))
        var reports = [DeliveryReport]()
        for index in 0..<12 {
            let partition = Int32(index % 3)
            reports.append(try await producer.send(topic: "offsets", partition: partition,
                                                   value: Support.bytes("m\(index)")))
        }
        let expected: [DeliveryReport] = (0..<12).map { (index: Int) in
            DeliveryReport(topic: "offsets", partition: Int32(index % 3), offset: Int64(index / 3))
        }
        #expect(reports == expected)
        let read = try Support.readAll(broker, topic: "offsets", partitions: [0, 1, 2], count: 12)
        for message in read {
            let index = Int(message.offset) * 3 + Int(message.partition)
            #expect(message.value == Support.bytes("m\(index)"))
            #expect(message.key == nil)
            #expect(message.headers.isEmpty)
        }
        let reader = try KafkaConsumer(config: Support.config(broker))
        defer { reader.close() }
        #expect(reader.groupID == nil)
        #expect(throws: KafkaError.commitFailed(topic: "offsets", partition: 0, offset: 0,
                                                code: KafkaErrorCode(rawValue: -179))) {  // _UNKNOWN_GROUP
            try reader.commit(topic: "offsets", partition: 0, offset: 0)
        }
        #expect(Set(read.map { TopicPartition(topic: $0.topic, partition: $0.partition).description + "@\($0.offset)" })
            == Set(reports.map { "\($0.topic) [\($0.partition)]@\($0.offset)" }))
    }

    @Test func aNewGroupMemberResumesAfterTheCommittedOffset() async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "resume", partitions: 1)
        let producer = try KafkaProducer(config: Support.config(broker))
        for index in 0..<10 {
            _ = try await producer.send(topic: "resume", value: Support.bytes("job-\(index)"))
        }

        let first = try KafkaConsumer(config: Support.config(broker), groupID: "resume-group")
        try first.subscribe(topics: ["resume"])
        let firstRead = try Support.poll([first]) { $0.count >= 5 }.map(\.message)
        #expect(firstRead.prefix(5).map(\.offset) == [0, 1, 2, 3, 4])
        try first.commit(firstRead[4])
        // Kafka's committed offset is the next one to read.
        #expect(try first.committedOffset(topic: "resume", partition: 0) == 5)
        #expect(try first.assignment() == [TopicPartition(topic: "resume", partition: 0)])
        first.close()
        #expect(throws: KafkaError.consumerClosed) { try first.poll(timeout: .zero) }

        let second = try KafkaConsumer(config: Support.config(broker), groupID: "resume-group")
        defer { second.close() }
        try second.subscribe(topics: ["resume"])
        let secondRead = try Support.poll([second]) { $0.count >= 5 }.map(\.message)
        #expect(secondRead.map(\.offset) == [5, 6, 7, 8, 9])
        #expect(secondRead.map(\.value) == (5..<10).map { Support.bytes("job-\($0)") })
        #expect(try second.poll(timeout: .milliseconds(300)) == nil)
    }

    /// Eager (librdkafka's default) and incremental (cooperative) rebalancing.
    @Test(arguments: ["range,roundrobin", "cooperative-sticky"])
    func twoGroupMembersSplitThePartitions(assignmentStrategy: String) async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "split", partitions: 3)
        let logs = KafkaLogCollector()
        var config = Support.config(broker)
        config["partition.assignment.strategy"] = assignmentStrategy
        let members = try (0..<2).map { _ in
            try KafkaConsumer(config: config, groupID: "split-group", logHandler: logs.handler)
        }
        defer { members.forEach { $0.close() } }
        for member in members { try member.subscribe(topics: ["split"]) }

        // Wait until the group has settled: both members hold partitions, together all three.
        var assignments = [[TopicPartition]]()
        _ = try Support.poll(members) { _ in
            assignments = try members.map { try $0.assignment() }
            return assignments.allSatisfy { !$0.isEmpty } && assignments.joined().count == 3
        }
        #expect(Set(assignments.joined()) == Set((0...2).map { TopicPartition(topic: "split", partition: $0) }))
        #expect(logs.lines.contains { $0.facility == "REBALANCE" && $0.message.hasPrefix("assigned: split [") })

        let producer = try KafkaProducer(config: Support.config(broker))
        for index in 0..<30 {
            _ = try await producer.send(topic: "split", partition: Int32(index % 3), value: Support.bytes("\(index)"))
        }
        let read = try Support.poll(members) { $0.count >= 30 }
        #expect(read.count == 30)
        #expect(Set(read.map(\.message.value)) == Set((0..<30).map { Support.bytes("\($0)") }))
        for (member, message) in read {
            #expect(assignments[member].contains(TopicPartition(topic: "split", partition: message.partition)))
            try members[member].commit(message)
        }
        #expect(try members.map { try $0.assignment() } == assignments)
    }

    @Test func aMessageOverMessageMaxBytesFailsWithItsErrorCode() async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "big", partitions: 1)
        var config = Support.config(broker)
        config["message.max.bytes"] = "10000"
        let producer = try KafkaProducer(config: config)
        do {
            _ = try await producer.send(topic: "big", value: [UInt8](repeating: 7, count: 20_000))
            Issue.record("a 20000-byte message was accepted")
        } catch let KafkaError.produceFailed(topic, code, _) {
            #expect(topic == "big")
            #expect(code == .messageSizeTooLarge)
            #expect(code.name == "MSG_SIZE_TOO_LARGE")
        }
        let error = KafkaError.produceFailed(topic: "big", code: .messageSizeTooLarge, reason: "too big")
        #expect(error.description == "could not produce to 'big': MSG_SIZE_TOO_LARGE: too big")
        // The producer still works for messages that fit.
        let report = try await producer.send(topic: "big", value: [UInt8](repeating: 7, count: 5_000))
        #expect(report == DeliveryReport(topic: "big", partition: 0, offset: 0))
    }

    @Test func unknownTopicsAndPartitionsFailWithTheirErrorCodes() async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "one-partition", partitions: 1)
        var config = Support.config(broker)
        config["message.timeout.ms"] = "2000"
        config["topic.metadata.propagation.max.ms"] = "500"
        let producer = try KafkaProducer(config: config)
        _ = try await producer.send(topic: "one-partition", value: Support.bytes("learns the metadata"))
        do {
            _ = try await producer.send(topic: "one-partition", partition: 5, value: Support.bytes("x"))
            Issue.record("partition 5 of 1 was accepted")
        } catch let KafkaError.produceFailed(topic, code, _) {
            #expect(topic == "one-partition")
            #expect(code == .localUnknownPartition)
            #expect(code.name == "_UNKNOWN_PARTITION")
        }
        broker.setTopicError(topic: "missing", error: .unknownTopicOrPartition)
        await #expect(throws: KafkaError.deliveryFailed(topic: "missing", partition: nil,
                                                        code: .unknownTopicOrPartition)) {
            _ = try await producer.send(topic: "missing", value: Support.bytes("x"))
        }
        #expect(KafkaError.deliveryFailed(topic: "missing", partition: nil, code: .unknownTopicOrPartition).description
            == "delivery to 'missing' failed: UNKNOWN_TOPIC_OR_PART (Broker: Unknown topic or partition)")
    }

    @Test func sendsWaitWhileTheBrokerIsDownAndCompleteWhenItIsBack() async throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "outage", partitions: 1)
        let producer = try KafkaProducer(config: Support.config(broker))
        _ = try await producer.send(topic: "outage", value: Support.bytes("before"))
        try broker.setBrokerDown(1)
        let pending = Task { try await producer.send(topic: "outage", value: Support.bytes("during")) }
        try await Task.sleep(for: .milliseconds(200))
        do {
            try producer.flush(timeout: .milliseconds(300))
            Issue.record("flush succeeded with the broker down")
        } catch let KafkaError.flushTimedOut(pendingMessages) {
            #expect(pendingMessages >= 1)
        }
        try broker.setBrokerUp(1)
        let report = try await pending.value
        #expect(report == DeliveryReport(topic: "outage", partition: 0, offset: 1))
        try producer.flush(timeout: .seconds(5))
    }

    @Test func anIdempotentProducerDeliversOnceThroughInjectedProduceErrors() async throws {
        let broker = try EmbeddedBroker(brokerCount: 3)
        try broker.createTopic(name: "flaky", partitions: 1, replicationFactor: 3)
        let producer = try KafkaProducer(config: Support.config(broker))
        _ = try await producer.send(topic: "flaky", value: Support.bytes("warm-up"))
        broker.pushRequestErrors(apiKey: .produce, errors: [.notLeaderForPartition, .requestTimedOut,
                                                            KafkaErrorCode(rawValue: 7)])
        let report = try await producer.send(topic: "flaky", value: Support.bytes("once"))
        #expect(report == DeliveryReport(topic: "flaky", partition: 0, offset: 1))
        let read = try Support.readAll(broker, topic: "flaky", partitions: [0], count: 2)
        #expect(read.map(\.value) == [Support.bytes("warm-up"), Support.bytes("once")])
        #expect(broker.brokerIDs == 1...3)
        do {
            try broker.setBrokerDown(9)
            Issue.record("broker 9 of 3 was set down")
        } catch let KafkaError.mockClusterFailed(operation, code) {
            #expect(operation == "set broker 9 down")
            #expect(code.name == "BROKER_NOT_AVAILABLE")
        }
    }

    @Test func anotherProcessUsesTheBrokerThroughTheWireProtocol() throws {
        let broker = try EmbeddedBroker()
        try broker.createTopic(name: "from-kcat", partitions: 3)
        let listing = try runKcat(["-b", broker.bootstrapServers, "-L", "-m", "10"])
        #expect(listing.contains("topic \"from-kcat\" with 3 partitions"))

        _ = try runKcat(["-b", broker.bootstrapServers, "-P", "-t", "from-kcat", "-p", "1", "-K", ":",
                         "-H", "origin=kcat"],
                        input: "k1:first\nk2:second\n")
        let read = try Support.readAll(broker, topic: "from-kcat", partitions: [0, 1, 2], count: 2)
        #expect(read.map(\.partition) == [1, 1])
        #expect(read.map(\.offset) == [0, 1])
        #expect(read.map(\.keyString) == ["k1", "k2"])
        #expect(read.map(\.value) == [Support.bytes("first"), Support.bytes("second")])
        #expect(read.map(\.headers) == [[KafkaHeader(name: "origin", string: "kcat")],
                                        [KafkaHeader(name: "origin", string: "kcat")]])

        let consumed = try runKcat(["-b", broker.bootstrapServers, "-C", "-t", "from-kcat", "-p", "1",
                                    "-o", "beginning", "-e", "-f", "%k=%s@%o\\n"])
        #expect(consumed == "k1=first@0\nk2=second@1\n")
    }

    /// The mock names broker 0 as its controller (its brokers are 1...n), so CreateTopics
    /// would wait for a controller until it timed out; it fails at once instead.
    @Test func theAdminAPIAgainstTheMockFailsAtOnceForWantOfAController() throws {
        let broker = try EmbeddedBroker(brokerCount: 2)
        let admin = try KafkaAdmin(config: Support.config(broker))
        let started = ContinuousClock.now
        let expected = KafkaError.noController(operation: "creating topics a, b", controllerID: 0, brokerIDs: [1, 2])
        #expect(throws: expected) {
            try admin.createTopics(["a", "b"], partitions: 2, replicationFactor: 1, timeout: .seconds(10))
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(expected.isAdminUnanswered)
        #expect(expected.description == "creating topics a, b: the cluster names broker 0 as its controller, none of its brokers (1, 2), so it takes no admin requests")
    }

    @Test func anUnreachableClusterIsToldApartFromAMissingAdminAPI() throws {
        // Port 1 on the loopback: nothing listens, the connection is refused at once.
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: "127.0.0.1:1").withDefaults(KafkaConfig.fastTestTimings))
        #expect(throws: KafkaError.clusterUnreachable(bootstrapServers: "127.0.0.1:1", timeoutMilliseconds: 1000)) {
            try admin.createTopics(["a"], partitions: 1, replicationFactor: 1, timeout: .seconds(1))
        }
    }

    @Test func theMockCreatesTopicsThroughTheTopicCreatorInterface() throws {
        let broker = try EmbeddedBroker()
        let creator: any TopicCreator = broker
        let topics = Topics()
        try creator.createTopics(topics.fleetTopics, partitions: 2, replicationFactor: 1)
        try creator.createTopics([topics.jobs], partitions: 2, replicationFactor: 1)
        let listing = try runKcat(["-b", broker.bootstrapServers, "-L", "-m", "10"])
        for topic in topics.fleetTopics {
            #expect(listing.contains("topic \"\(topic)\" with 2 partitions"), "\(listing)")
        }
    }

    @Test func transientErrorsAreLoggedNotThrown() throws {
        let logs = KafkaLogCollector()
        // Nothing listens on port 1: every connection attempt is refused.
        var config = KafkaConfig(bootstrapServers: "127.0.0.1:1").withDefaults(KafkaConfig.fastTestTimings)
        config["socket.connection.setup.timeout.ms"] = "1000"
        let consumer = try KafkaConsumer(config: config, logHandler: logs.handler)
        defer { consumer.close() }
        try consumer.assign(topic: "nowhere", partitions: [0])
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            #expect(try consumer.poll(timeout: .milliseconds(200)) == nil)
        }
        #expect(logs.lines.contains { $0.level == 3 && $0.message.contains("Connection refused") }, "\(logs.lines)")
    }

    private func runKcat(_ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "kcat \(arguments.joined(separator: " ")) failed")
        return String(decoding: data, as: UTF8.self)
    }
}
