/// A linear layer's weight `[out, in]`: float32 (Hugging Face files, training, the exact
/// path) or kept quantised in its GGUF blocks (inference on the fast path). The forward
/// pass applies either through `Linear.apply`.
public enum LinearWeight: Sendable, Equatable {
    case dense(Matrix)
    case quantized(QuantizedMatrix)

    public var rows: Int {
        switch self {
        case .dense(let matrix): matrix.rows
        case .quantized(let matrix): matrix.rows
        }
    }

    public var cols: Int {
        switch self {
        case .dense(let matrix): matrix.cols
        case .quantized(let matrix): matrix.cols
        }
    }

    /// The float32 matrix of a dense weight, read or modified in place (training and
    /// checkpoint writing work on float32 weights, which exact loading provides). A
    /// quantised weight has none: asking for it is a programming error.
    public var matrix: Matrix {
        get {
            guard case .dense(let matrix) = self else { preconditionFailure("a quantised weight has no float32 matrix; load with exact weights") }
            return matrix
        }
        _modify {
            guard case .dense(var matrix) = self else { preconditionFailure("a quantised weight has no float32 matrix; load with exact weights") }
            // Drop this enum's reference first so the yielded matrix is uniquely referenced (no copy).
            self = .dense(Matrix(zeros: 0, 0))
            defer { self = .dense(matrix) }
            yield &matrix
        }
    }

    /// The float32 values: the dense matrix, or the quantised one dequantised exactly.
    public func dequantized() -> Matrix {
        switch self {
        case .dense(let matrix): matrix
        case .quantized(let matrix): matrix.dequantized()
        }
    }
}
