/// Something that can make topics: the embedded broker (through its mock API, since
/// the mock has no Admin API) or a real cluster (through `KafkaAdmin`). Creating a
/// topic that already exists is not an error.
public protocol TopicCreator: Sendable {
    func createTopics(_ names: [String], partitions: Int, replicationFactor: Int) throws
}
