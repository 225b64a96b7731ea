/// Teacher forcing as a teacher job runs it: one full-sequence forward pass
/// (`Transformer.logits`) with logits for every position.
public enum ForwardBenchmark {
    public struct Measurement: Sendable {
        public var tokens: Int
        public var repetitions: Int
        /// Seconds of the fastest repetition (the least disturbed by anything else running).
        public var seconds: Double
        /// Mean seconds of a repetition.
        public var meanSeconds: Double
        /// The matrix-product FLOPs of one pass (`MatrixProduct.teacherForward`).
        public var flops: Double
        /// The most likely next token at every position, to compare with a peer.
        public var argmax: [Int32]

        public var tokensPerSecond: Double { Double(tokens) / seconds }
        public var gflops: Double { flops / seconds / 1e9 }
    }

    /// Times the forward pass over `ids` after one untimed warm-up pass, over
    /// repetitions adding up to at least `minimumSeconds` (at least two).
    public static func measure(transformer: Transformer, ids: [Int32], minimumSeconds: Double) -> Measurement {
        func forward() -> Matrix {
            transformer.logits(sequences: [ids], rows: [0..<ids.count])[0]
        }
        let logits = forward()
        var times: [Double] = []
        while times.count < 2 || times.reduce(0, +) < minimumSeconds {
            let started = ContinuousClock.now
            _ = forward()
            times.append((ContinuousClock.now - started).inSeconds)
        }
        let flops = MatrixProduct.totalFlops(
            MatrixProduct.teacherForward(config: transformer.config, tokens: ids.count, headRows: ids.count))
        return Measurement(tokens: ids.count, repetitions: times.count, seconds: times.min()!,
                           meanSeconds: times.reduce(0, +) / Double(times.count), flops: flops, argmax: rowArgmax(logits))
    }

    /// The index of each row's largest value (the lowest on a tie).
    static func rowArgmax(_ matrix: Matrix) -> [Int32] {
        matrix.values.withUnsafeBufferPointer { values in
            (0..<matrix.rows).map { row in
                let start = row * matrix.cols
                var best = 0
                for col in 1..<matrix.cols where values[start + col] > values[start + best] { best = col }
                return Int32(best)
            }
        }
    }
}
