import Testing
@testable import Core

@Suite struct TopicsTests {
    @Test func defaultNames() {
        let topics = Topics()
        #expect(topics.jobs == "realign.jobs")
        #expect(topics.requests == "realign.requests")
        #expect(topics.dlq == "realign.dlq")
        #expect(topics.replies("run42") == "realign.replies.run42")
        #expect(topics.workerGroup == "realign-workers")
        #expect(topics.control == "realign.control")
        #expect(topics.fleetTopics == ["realign.jobs", "realign.requests", "realign.control", "realign.dlq"])
    }

    @Test func customPrefix() {
        let topics = Topics(prefix: "fleet-b")
        #expect(topics.jobs == "fleet-b.jobs")
        #expect(topics.replies("r-1") == "fleet-b.replies.r-1")
        #expect(topics.workerGroup == "fleet-b-workers")
    }

    @Test func legalTopicNames() {
        for name in ["realign.jobs", "a", "A-Z_0.9", "..a", String(repeating: "x", count: 249)] {
            #expect(Topics.isLegalTopicName(name), "\(name)")
        }
        for name in ["", ".", "..", String(repeating: "x", count: 250), "has space", "slash/x", "colon:x",
                     "ümlaut", "tab\t"] {
            #expect(!Topics.isLegalTopicName(name), "\(name)")
        }
        #expect(Topics.isLegalTopicName(Topics().replies("run42")))
    }
}
