import Testing
@testable import Core

@Suite struct KafkaTopicNameTests {
    @Test func legalAndIllegalNames() {
        for name in ["realign.replies.run42", "a", "A-b_c.9", "..a", String(repeating: "x", count: 249)] {
            #expect(KafkaTopicName.isLegal(name), "\(name)")
        }
        for name in ["", ".", "..", "a b", "a/b", "é", "topic:1", String(repeating: "x", count: 250)] {
            #expect(!KafkaTopicName.isLegal(name), "\(name)")
        }
    }
}
