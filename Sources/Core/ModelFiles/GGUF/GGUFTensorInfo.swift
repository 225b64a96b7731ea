/// Where one tensor of a GGUF file lives and what it holds.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    public var type: GGMLType
    /// GGUF `ne`: `ne[0]` is the contiguous (innermost) dimension.
    public var dimensions: [Int]
    /// Offset of the data from the start of the data section (a multiple of the alignment).
    public var offsetInDataSection: Int
    /// Absolute byte range of the data in the file.
    public var byteRange: Range<Int>

    public var elementCount: Int { dimensions.reduce(1, *) }

    /// The row-major shape (`ne` reversed): GGUF `[in, out]` is the matrix `[out, in]`.
    public var rowMajorShape: [Int] { dimensions.reversed() }
}
