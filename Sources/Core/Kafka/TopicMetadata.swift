import CKafka

extension KafkaProducer {
    /// The number of partitions of `topic` as the cluster reports it, or nil when the
    /// topic does not exist (yet). The coordinator spreads jobs over them itself.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) throws -> Int? {
        guard let topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) else {
            throw KafkaError.queryFailed(operation: "metadata of \(topic)", code: KafkaErrorCode(rd_kafka_last_error()))
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(handle.pointer, 0, topicHandle, &metadata, timeout.kafkaMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.queryFailed(operation: "metadata of \(topic)", code: KafkaErrorCode(result))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return nil }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else { return nil }
        return Int(entry.partition_cnt)
    }
}
