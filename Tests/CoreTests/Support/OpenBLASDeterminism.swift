import COpenBLAS
@testable import Core

/// Whether OpenBLAS's sgemm, with the kernels this process loaded, gives the same bits on
/// one and on two threads. Its SkylakeX kernels do; its Haswell / Zen ones (AVX2 CPUs)
/// sum a product in an order that depends on the thread count, so tests of a thread
/// count's invariance hold only within float32 rounding there.
enum OpenBLASDeterminism {
    static let isThreadInvariant: Bool = {
        var state: UInt64 = 9
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
            }
        }
        let (rows, outputs, width) = (450, 1536, 576)
        let x = values(rows * width), w = values(outputs * width)
        func product(threads: Int) -> [Float] {
            let saved = ComputeThreads.count
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(saved) }
            var y = [Float](repeating: 0, count: rows * outputs)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(width),
                        1, x, Int32(width), w, Int32(width), 0, &y, Int32(outputs))
            return y
        }
        return product(threads: 1) == product(threads: 2)
    }()
}
