/// One sequence of a teacher job as token ids in one model's view: `ids[0 ..< promptLength]`
/// is the prompt, the rest the response.
public struct RenderedSequence: Sendable, Equatable {
    public var ids: [Int32]
    public var promptLength: Int

    public init(ids: [Int32], promptLength: Int) {
        self.ids = ids
        self.promptLength = promptLength
    }

    public var responseIDs: ArraySlice<Int32> { ids[promptLength...] }

    /// The logit rows that predict response tokens: positions `P-1 ..< L-1`.
    public var responseRows: Range<Int> { (promptLength - 1)..<(ids.count - 1) }
}
