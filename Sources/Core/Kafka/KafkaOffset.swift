import CKafka

/// Where a manually assigned partition starts to be read.
public enum KafkaOffset: Sendable, Equatable {
    /// The oldest message still in the partition.
    case beginning
    /// Only messages produced from now on.
    case end
    /// The group's committed offset, or `auto.offset.reset` when there is none.
    case stored
    /// This offset (the offset of the first message to read).
    case exact(Int64)

    var rawValue: Int64 {
        switch self {
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        case .stored: Int64(RD_KAFKA_OFFSET_STORED)
        case .exact(let offset): offset
        }
    }
}
