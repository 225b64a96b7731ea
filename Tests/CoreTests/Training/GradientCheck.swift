@testable import Core

/// Finite-difference support for the gradient checks: central differences of a
/// Double-valued objective of float32 inputs, and the random data they run on.
enum GradientCheck {
    /// `(f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε` for every `i` in `indices` (all by default).
    static func numerical(_ x: [Float], epsilon: Float = 1e-2, indices: [Int]? = nil, _ f: ([Float]) -> Double) -> [Int: Double] {
        var result: [Int: Double] = [:]
        var probe = x
        for i in indices ?? Array(x.indices) {
            let original = probe[i]
            probe[i] = original + epsilon
            let plus = f(probe)
            probe[i] = original - epsilon
            let minus = f(probe)
            probe[i] = original
            result[i] = (plus - minus) / (2 * Double(epsilon))
        }
        return result
    }

    /// The largest `|analytic − numerical|` over the checked indices, relative to
    /// `max(1, largest |numerical|)`.
    static func relativeError(analytic: [Float], numerical: [Int: Double]) -> Double {
        let scale = max(1, numerical.values.map(abs).max() ?? 0)
        return numerical.map { abs(Double(analytic[$0.key]) - $0.value) }.max().map { $0 / scale } ?? 0
    }

    static func random(_ count: Int, _ generator: inout SplitMix64, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in generator.nextFloat(in: range) }
    }

    /// `Σ w ⊙ y` in Double: a scalar objective whose gradient with respect to `y` is `w`.
    static func weightedSum(_ y: [Float], _ w: [Float]) -> Double {
        zip(y, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Runs `body` on a pointer to a copy of `values` and returns the copy.
    static func withPointer(_ values: [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var copy = values
        copy.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return copy
    }
}
