import _Builtin_intrinsics.intel
import Foundation

/// Element-wise kernels on raw float buffers. Loops run eight lanes at a time
/// (`SIMD8<Float>`) with a scalar tail; `exp` is `SIMDExponential` on the lanes.
enum ElementWise {
    /// `destination[i] += source[i]` for `i < count`.
    static func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        let wide = count & ~7
        var i = 0
        while i < wide {
            let sum = loadSIMD(destination + i) + loadSIMD(source + i)
            storeSIMD(sum, destination + i)
            i += 8
        }
        while i < count {
            destination[i] += source[i]
            i += 1
        }
    }

    /// RMSNorm of each row: `y = weight ⊙ (x / sqrt(mean(x²) + eps))` over `width`
    /// values, in the order Hugging Face rounds it (normalise, then scale by weight).
    static func rmsNorm(
        _ x: UnsafePointer<Float>, rows: Int, width: Int, weight: [Float], eps: Float,
        into y: UnsafeMutablePointer<Float>
    ) {
        precondition(weight.count == width, "norm weight has \(weight.count) values for width \(width)")
        weight.withUnsafeBufferPointer { weightBuffer in
            let w = weightBuffer.baseAddress!
            ParallelLoop.run(count: rows) { row in
                let input = x + row * width
                let output = y + row * width
                let wide = width & ~7
                var squares = SIMD8<Float>(repeating: 0)
                var i = 0
                while i < wide {
                    let v = loadSIMD(input + i)
                    // `v * v` rather than `addProduct`: without FMA in the target
                    // baseline, `addProduct` becomes a scalar `fmaf` call per lane.
                    squares += v * v
                    i += 8
                }
                var sum = squares.sum()
                while i < width {
                    sum += input[i] * input[i]
                    i += 1
                }
                let inverse = 1 / (sum / Float(width) + eps).squareRoot()
                i = 0
                while i < wide {
                    storeSIMD(loadSIMD(w + i) * (loadSIMD(input + i) * inverse), output + i)
                    i += 8
                }
                while i < width {
                    output[i] = w[i] * (input[i] * inverse)
                    i += 1
                }
            }
        }
    }

    /// The SwiGLU gate in place: `gate[r, i] = silu(gate[r, i]) · up[r, i]` with
    /// `silu(z) = z · sigmoid(z)`, over `rows × width` values.
    static func siluGate(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, rows: Int, width: Int) {
        siluGate(gate, up: up, rows: rows, width: width, into: gate)
    }

    /// The SwiGLU gate into `output` (which may be `gate` itself: each value is read
    /// before it is written): `output[r, i] = silu(gate[r, i]) · up[r, i]`. Training
    /// keeps the pre-activation `gate` for the backward pass.
    static func siluGate(
        _ gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, width: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        ParallelLoop.run(count: rows) { row in
            let g = gate + row * width
            let u = up + row * width
            let o = output + row * width
            let wide = width & ~7
            var i = 0
            while i < wide {
                let z = loadSIMD(g + i)
                storeSIMD(z / (1 + SIMDExponential.exp(-z)) * loadSIMD(u + i), o + i)
                i += 8
            }
            while i < width {
                let z = g[i]
                o[i] = z / (1 + exp(-z)) * u[i]
                i += 1
            }
        }
    }

    /// In-place softmax of `row[0..<count]`: max-subtracted exponentials over their sum.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let wide = count & ~7
        var maxima = _mm256_set1_ps(-.infinity)
        var i = 0
        while i < wide {
            maxima = _mm256_max_ps(maxima, loadSIMD(row + i))
            i += 8
        }
        var maximum = largestLane(maxima)
        while i < count {
            maximum = max(maximum, row[i])
            i += 1
        }
        let shift = SIMD8<Float>(repeating: maximum)
        var sums = SIMD8<Float>.zero
        i = 0
        while i < wide {
            let e = SIMDExponential.exp(atMost88: loadSIMD(row + i) - shift)
            storeSIMD(e, row + i)
            sums += e
            i += 8
        }
        var sum = sums.sum()
        while i < count {
            let e = exp(row[i] - maximum)
            row[i] = e
            sum += e
            i += 1
        }
        scale(row, count: count, by: 1 / sum)
    }

    /// `values[i] *= factor` for `i < count`.
    static func scale(_ values: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let wide = count & ~7
        var i = 0
        while i < wide {
            storeSIMD(loadSIMD(values + i) * factor, values + i)
            i += 8
        }
        while i < count {
            values[i] *= factor
            i += 1
        }
    }

    /// The largest of the eight lanes, by shuffles (a generic `.max()` goes lane by lane).
    @inline(__always)
    static func largestLane(_ lanes: SIMD8<Float>) -> Float {
        let four = _mm_max_ps(lanes.lowHalf, lanes.highHalf)
        let two = _mm_max_ps(four, _mm_movehl_ps(four, four))
        return _mm_cvtss_f32(_mm_max_ss(two, _mm_movehdup_ps(two)))
    }

    @inline(__always)
    static func loadSIMD(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func loadSIMD(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func storeSIMD(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
