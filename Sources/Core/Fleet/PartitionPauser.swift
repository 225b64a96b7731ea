/// Keeps a group member's partitions paused or fetching, as the worker needs: paused
/// while it is busy with other work (it keeps polling, so the group keeps it), fetching
/// again when it is free. Partitions the group assigns while paused are paused too,
/// including ones it took away and gave back (a fresh assignment fetches).
final class PartitionPauser {
    private let consumer: KafkaConsumer
    private var paused: Set<TopicPartition> = []
    private var assignmentsSeen: Int

    init(_ consumer: KafkaConsumer) {
        self.consumer = consumer
        assignmentsSeen = consumer.assignmentCount
    }

    func set(paused wanted: Bool) throws {
        let assigned = Set(try consumer.assignment())
        paused.formIntersection(assigned)
        let assignments = consumer.assignmentCount
        if wanted {
            if assignments != assignmentsSeen { paused = [] }
            assignmentsSeen = assignments
            let fresh = assigned.subtracting(paused)
            guard !fresh.isEmpty else { return }
            try consumer.pause(fresh.sorted())
            paused.formUnion(fresh)
        } else if !paused.isEmpty {
            try consumer.resume(paused.sorted())
            paused = []
        }
    }
}
