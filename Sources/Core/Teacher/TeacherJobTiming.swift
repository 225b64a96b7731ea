/// Where a teacher job's compute went: the forward passes (embeddings through the
/// output head, both views) and the fusion (log-softmax, top-k and target log-probs for
/// every lambda). The rest of a job's time - decoding, rendering, serialising, Kafka - is
/// what the worker's `seconds` adds on top.
public struct TeacherJobTiming: Sendable, Equatable {
    public var forward: Duration
    public var fusion: Duration

    public init(forward: Duration, fusion: Duration) {
        self.forward = forward
        self.fusion = fusion
    }
}
