import Testing
@testable import Core

/// A teacher job's targets must not depend on how the coordinator packed its records
/// into jobs (a resumed run packs the rest anew, and its shards must be byte-identical):
/// so a row of an output-head block must come out the same whatever number of rows the
/// block's product has. OpenBLAS takes other kernels for small products, which sum in
/// another order (blocks of 256 columns failed this at a few rows);
/// `TeacherFusion.headColumns` is wide enough that no head block is small.
@Suite("Output-head blocks: a row's logits do not depend on the rows beside it")
struct HeadBlockInvarianceTests {
    @Test func aRowIsTheSameInEveryBatchSize() {
        let width = 576, vocab = 2 * TeacherFusion.headColumns, rows = 48
        var state: UInt64 = 3
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
            }
        }
        let weight = LinearWeight.dense(Matrix(rows: vocab, cols: width, values: values(vocab * width)))
        let inputs = values(rows * width)
        let columns = TeacherFusion.headColumns..<vocab
        func block(rows count: Int) -> [Float] {
            var logits = [Float](repeating: 0, count: count * columns.count)
            inputs.withUnsafeBufferPointer { x in
                logits.withUnsafeMutableBufferPointer { y in
                    Linear.apply(x.baseAddress!, rows: count, weight: weight, outputs: columns, into: y.baseAddress!)
                }
            }
            return logits
        }
        let all = block(rows: rows)
        for count in [1, 2, 3, 4, 5, 7, 8, 12, 16, 31] {
            #expect(block(rows: count) == Array(all.prefix(count * columns.count)), "\(count) rows")
        }
    }
}
