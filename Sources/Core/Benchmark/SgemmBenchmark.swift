import COpenBLAS

/// The machine's matrix-product ceiling: OpenBLAS `sgemm` GFLOP/s at given shapes, on
/// `ComputeThreads.count` threads, in the orientation the linear layers use
/// (`x[m, k] · W[n, k]ᵀ`).
public enum SgemmBenchmark {
    /// GFLOP/s of one full `[m, k] · [k, n]` product (never halved: the ceiling is what
    /// a dense product of that shape runs at), after one warm-up call, over repetitions
    /// adding up to at least `minimumSeconds` (and at least two).
    public static func gflops(m: Int, n: Int, k: Int, minimumSeconds: Double = 0.3) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        // Small values of both signs, so no denormals or overflow slow a run down.
        for i in 0..<(m * k) { a[i] = Float(i % 17) * 0.01 - 0.08 }
        for i in 0..<(n * k) { b[i] = Float(i % 13) * 0.01 - 0.06 }
        c.initialize(repeating: 0, count: m * n)
        func product() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(k), 0, c, Int32(n))
        }
        product()
        var repetitions = 0
        let started = ContinuousClock.now
        var elapsed = 0.0
        while repetitions < 2 || elapsed < minimumSeconds {
            product()
            repetitions += 1
            elapsed = (ContinuousClock.now - started).inSeconds
        }
        return 2 * Double(m) * Double(n) * Double(k) * Double(repetitions) / elapsed / 1e9
    }

    /// The ceiling of a mix of products: the GFLOP/s they would reach together if each
    /// ran at its own measured rate (`Σ flops / Σ flops/rate`). `rates` holds GFLOP/s by
    /// product name.
    public static func ceiling(of products: [MatrixProduct], rates: [String: Double]) -> Double {
        var flops = 0.0
        var seconds = 0.0
        for product in products {
            guard let rate = rates[product.name] else { preconditionFailure("no measured rate for \(product.name)") }
            flops += product.flops
            seconds += product.flops / (rate * 1e9)
        }
        return flops / seconds / 1e9
    }
}
