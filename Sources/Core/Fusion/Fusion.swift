import Foundation
import _Builtin_intrinsics.intel

/// TrRa teacher fusion: at λ the teacher distribution of a row is
/// `log_softmax(z)` with `z = λ·h_aligned + (1−λ)·h_ref` over the vocabulary (raw
/// logits in, as in the paper). One pair of forward passes serves every λ: each row of
/// the two logit matrices is read once and fused for all λ in turn. The log-sum-exp is
/// max-subtracted and summed in Double, so |λ| up to 10 (z up to ~20× the logits) stays
/// finite and normalised.
public enum Fusion {
    /// The targets for every λ in `lambdas`, in that order. `ref` and `aligned` are the
    /// two models' logits on the same rows (`[T, vocab]` each); `targets` holds the
    /// token id whose log-probability is wanted at each row (`T` ids).
    public static func fuse(ref: Matrix, aligned: Matrix, lambdas: [Double], topK: Int, targets: [Int32]) -> [FusedTargets] {
        checkShapes(ref: ref, aligned: aligned)
        let accumulator = FusionAccumulator(rows: ref.rows, vocab: ref.cols, lambdas: lambdas, topK: topK, targets: targets)
        if ref.rows > 0 {
            ref.values.withUnsafeBufferPointer { refBuffer in
                aligned.values.withUnsafeBufferPointer { alignedBuffer in
                    accumulator.absorb(ref: refBuffer.baseAddress!, aligned: alignedBuffer.baseAddress!,
                                       rowStride: ref.cols, columns: 0..<ref.cols)
                }
            }
        }
        return accumulator.finish()
    }

    /// The full fused log-probabilities `log_softmax(λ·aligned + (1−λ)·ref)` per row,
    /// `[T, vocab]`.
    public static func fusedLogProbs(ref: Matrix, aligned: Matrix, lambda: Double) -> Matrix {
        checkShapes(ref: ref, aligned: aligned)
        let vocab = ref.cols
        var result = Matrix(zeros: ref.rows, vocab)
        guard ref.rows > 0 else { return result }
        ref.values.withUnsafeBufferPointer { refBuffer in
            aligned.values.withUnsafeBufferPointer { alignedBuffer in
                result.values.withUnsafeMutableBufferPointer { resultBuffer in
                    let refBase = refBuffer.baseAddress!
                    let alignedBase = alignedBuffer.baseAddress!
                    let resultBase = resultBuffer.baseAddress!
                    ParallelLoop.run(count: ref.rows) { row in
                        let z = resultBase + row * vocab
                        let shift = fuseRow(
                            ref: refBase + row * vocab, aligned: alignedBase + row * vocab,
                            lambda: lambda, count: vocab, into: z)
                        for i in 0..<vocab { z[i] = shift.logProb(z[i]) }
                    }
                }
            }
        }
        return result
    }

    private static func checkShapes(ref: Matrix, aligned: Matrix) {
        precondition(ref.rows == aligned.rows && ref.cols == aligned.cols,
                     "reference logits \(ref.rows)x\(ref.cols) and aligned logits \(aligned.rows)x\(aligned.cols) differ in shape")
        precondition(ref.cols > 0, "logits with an empty vocabulary")
    }

    /// What turns a fused logit into its log-probability: `(z − max) − log Σ exp(z − max)`.
    struct LogSoftmaxShift {
        let maximum: Float
        let logSum: Float

        @inline(__always)
        func logProb(_ z: Float) -> Float { (z - maximum) - logSum }
    }

    /// Writes `z = λ·aligned + (1−λ)·ref` (in float32, as the goldens round it) to `z`
    /// and returns the shift that normalises it.
    static func fuseRow(
        ref: UnsafePointer<Float>, aligned: UnsafePointer<Float>, lambda: Double, count: Int,
        into z: UnsafeMutablePointer<Float>
    ) -> LogSoftmaxShift {
        let maximum = fuse(ref: ref, aligned: aligned, lambda: lambda, count: count, into: z)
        let sum = sumOfExponentials(z, count: count, shiftedBy: maximum)
        return LogSoftmaxShift(maximum: maximum, logSum: Float(log(sum)))
    }

    /// Writes `z = λ·aligned + (1−λ)·ref` for `count` entries and returns their maximum.
    static func fuse(
        ref: UnsafePointer<Float>, aligned: UnsafePointer<Float>, lambda: Double, count: Int,
        into z: UnsafeMutablePointer<Float>
    ) -> Float {
        let alignedWeight = Float(lambda)
        let refWeight = Float(1 - lambda)
        let wide = count & ~7
        var maxima = _mm256_set1_ps(-.infinity)
        var i = 0
        while i < wide {
            let fused = alignedWeight * ElementWise.loadSIMD(aligned + i) + refWeight * ElementWise.loadSIMD(ref + i)
            ElementWise.storeSIMD(fused, z + i)
            // The instruction: the generic `pointwiseMax` is a call per vector.
            maxima = _mm256_max_ps(maxima, fused)
            i += 8
        }
        var maximum = ElementWise.largestLane(maxima)
        while i < count {
            z[i] = alignedWeight * aligned[i] + refWeight * ref[i]
            maximum = max(maximum, z[i])
            i += 1
        }
        return maximum
    }

    /// `Σ exp(z − maximum)` over `count` entries, where `maximum` is at least every
    /// entry. Eight at a time, summed in float32 over chunks of `chunkEntries` (64 terms
    /// a lane, each at most 1: the sum's relative error stays within 4e-6) and the chunks
    /// in Double: widening every vector to Double took half the fusion's time.
    static func sumOfExponentials(_ z: UnsafePointer<Float>, count: Int, shiftedBy maximum: Float) -> Double {
        let wide = count & ~7
        let shift = SIMD8<Float>(repeating: maximum)
        var sum = 0.0
        var i = 0
        while i < wide {
            let chunkEnd = min(wide, i + chunkEntries)
            var sums = SIMD8<Float>.zero
            while i < chunkEnd {
                sums += SIMDExponential.exp(atMost88: ElementWise.loadSIMD(z + i) - shift)
                i += 8
            }
            sum += Double(sums.sum())
        }
        while i < count {
            sum += Double(exp(z[i] - maximum))
            i += 1
        }
        return sum
    }

    /// Entries `sumOfExponentials` sums in float32 before adding them to its Double.
    static let chunkEntries = 512
}
