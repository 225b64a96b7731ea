import CKafka

/// An owned `rd_kafka_topic_partition_list_t`, for calls that take one.
final class TopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    struct Entry {
        let partition: TopicPartition
        let offset: Int64
        let error: rd_kafka_resp_err_t
    }

    /// - Parameter offset: the offset given to every entry (librdkafka's "invalid", i.e.
    ///   unset, by default).
    init(_ partitions: [TopicPartition], offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) {
        pointer = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        for entry in partitions {
            rd_kafka_topic_partition_list_add(pointer, entry.topic, entry.partition).pointee.offset = offset
        }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    static func entries(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        let elements = UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        return elements.map { element in
            Entry(partition: TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                  offset: element.offset, error: element.err)
        }
    }
}
