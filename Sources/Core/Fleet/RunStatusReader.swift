/// Reads a run's status from the cluster alone: the run's reply topic from its first
/// offset up to the high watermarks it had when reading began (so the read ends even
/// while workers keep replying), and the worker group's committed offsets on the job
/// topic. Joins no group and commits nothing.
public struct RunStatusReader: Sendable {
    public var config: KafkaConfig
    public var topics: Topics
    /// The worker group whose lag is reported (default: the topics' worker group).
    public var workerGroup: String
    /// How long reading may take in all.
    public var timeout: Duration

    public init(config: KafkaConfig, topics: Topics, workerGroup: String? = nil, timeout: Duration = .seconds(30)) {
        var config = config
        // A status query must not create the topics it asks about.
        config["allow.auto.create.topics"] = "false"
        self.config = config
        self.topics = topics
        self.workerGroup = workerGroup ?? topics.workerGroup
        self.timeout = timeout
    }

    public func read(runID: String) throws -> RunStatus {
        let deadline = ContinuousClock.now + timeout
        let replyTopic = topics.replies(runID)
        let metadata = try KafkaProducer(config: config)
        let replyPartitions: Int?
        do {
            replyPartitions = try metadata.partitionCount(topic: replyTopic, timeout: timeout)
        } catch KafkaError.queryFailed(_, let code) where code == .transport || code == .timedOut {
            throw KafkaError.clusterUnreachable(bootstrapServers: config.bootstrapServers ?? "(no bootstrap.servers)",
                                                timeoutMilliseconds: Int(timeout.kafkaMilliseconds))
        }
        guard let partitions = replyPartitions else {
            throw RunStatusError.noReplyTopic(runID: runID, topic: replyTopic)
        }
        let reader = try KafkaConsumer(config: config)
        defer { reader.close() }
        var remaining: [Int32: Int64] = [:]
        for partition in 0..<Int32(partitions) {
            let (low, high) = try reader.watermarks(topic: replyTopic, partition: partition, timeout: timeout)
            if high > low { remaining[partition] = high }
        }
        var status = RunStatus(runID: runID)
        if !remaining.isEmpty {
            try reader.assign(topic: replyTopic, partitions: remaining.keys.sorted())
            while !remaining.isEmpty {
                guard ContinuousClock.now < deadline else {
                    throw RunStatusError.timedOut(topic: replyTopic, seconds: Int(timeout.components.seconds))
                }
                guard let message = try reader.poll(timeout: .milliseconds(200)) else { continue }
                guard let end = remaining[message.partition], message.offset < end else { continue }
                try status.add(message)
                if message.offset + 1 >= end { remaining[message.partition] = nil }
            }
        }
        // Also what a cluster that creates topics on any request (librdkafka's mock) shows
        // for a run that never was; a run writes its run-start record first thing.
        guard status.start != nil else { throw RunStatusError.noRunStart(runID: runID, topic: replyTopic) }
        status.workerLag = try workerLag(metadata: metadata)
        return status
    }

    /// High watermark minus the group's committed offset (or the low watermark, where
    /// it committed nothing) on each partition of the job topic.
    private func workerLag(metadata: KafkaProducer) throws -> [Int32: Int64] {
        guard let partitions = try metadata.partitionCount(topic: topics.jobs, timeout: timeout) else { return [:] }
        let group = try KafkaConsumer(config: config, groupID: workerGroup)
        defer { group.close() }
        var lag: [Int32: Int64] = [:]
        for partition in 0..<Int32(partitions) {
            let (low, high) = try group.watermarks(topic: topics.jobs, partition: partition, timeout: timeout)
            let committed = try group.committedOffset(topic: topics.jobs, partition: partition, timeout: timeout) ?? low
            lag[partition] = max(0, high - max(committed, low))
        }
        return lag
    }
}

public enum RunStatusError: Error, Sendable, CustomStringConvertible {
    case noReplyTopic(runID: String, topic: String)
    case noRunStart(runID: String, topic: String)
    case timedOut(topic: String, seconds: Int)

    public var description: String {
        switch self {
        case .noReplyTopic(let runID, let topic):
            "no run \(runID) on this cluster: its reply topic \(topic) does not exist"
        case .noRunStart(let runID, let topic):
            "no run \(runID) on this cluster: \(topic) holds no run-start record (the run has not started, or its coordinator writes no run records)"
        case .timedOut(let topic, let seconds):
            "could not read \(topic) to its end within \(seconds) s"
        }
    }
}
