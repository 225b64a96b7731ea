/// Streaming-read memory bandwidth: a buffer far larger than the caches summed on
/// `ComputeThreads.count` threads, each reading its own contiguous part.
public enum MemoryBandwidth {
    /// GB/s (10⁹ bytes a second) over `passes` timed reads of `bytes` bytes, after one
    /// untimed pass that also faults the pages in.
    public static func streamingRead(bytes: Int = 1 << 30, passes: Int = 5) -> Double {
        let count = bytes / MemoryLayout<Float>.stride
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: count)
        let parts = ComputeThreads.count
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts)
        defer { partials.deallocate() }
        func pass() -> Float {
            partials.initialize(repeating: 0, count: parts)
            let base = buffer
            let sums = partials
            ParallelLoop.run(count: parts) { part in
                let start = count * part / parts
                let end = count * (part + 1) / parts
                sums[part] = sum(base + start, count: end - start)
            }
            return (0..<parts).reduce(0) { $0 + partials[$1] }
        }
        var checksum = pass()
        let started = ContinuousClock.now
        for _ in 0..<passes { checksum += pass() }
        let seconds = (ContinuousClock.now - started).inSeconds
        // The sums are used, so the reads cannot be optimised away.
        precondition(checksum > 0, "streaming read summed to \(checksum)")
        return Double(count * MemoryLayout<Float>.stride) * Double(passes) / seconds / 1e9
    }

    /// The sum of `count` floats, four independent SIMD accumulators wide.
    private static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
        let raw = UnsafeRawPointer(values)
        let width = MemoryLayout<SIMD16<Float>>.size
        var i = 0
        while i + 64 <= count {
            let offset = i * MemoryLayout<Float>.stride
            a += raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            b += raw.loadUnaligned(fromByteOffset: offset + width, as: SIMD16<Float>.self)
            c += raw.loadUnaligned(fromByteOffset: offset + 2 * width, as: SIMD16<Float>.self)
            d += raw.loadUnaligned(fromByteOffset: offset + 3 * width, as: SIMD16<Float>.self)
            i += 64
        }
        var total = (a + b + c + d).sum()
        while i < count {
            total += values[i]
            i += 1
        }
        return total
    }
}
