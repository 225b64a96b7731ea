/// Keeps a group member's partitions paused or fetching, as the worker needs: paused
/// while it is busy with other work (it keeps polling, so the group keeps it), fetching
/// again when it is free. Partitions the group assigns while paused are paused too; one
/// the group takes away while paused is resumed with the others (when it comes back).
final class PartitionPauser {
    private let consumer: KafkaConsumer
    private var paused: Set<TopicPartition> = []

    init(_ consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    func set(paused wanted: Bool) throws {
        if wanted {
            let fresh = Set(try consumer.assignment()).subtracting(paused)
            guard !fresh.isEmpty else { return }
            try consumer.pause(fresh.sorted())
            paused.formUnion(fresh)
        } else if !paused.isEmpty {
            try consumer.resume(paused.sorted())
            paused = []
        }
    }
}
