import Foundation

/// A linear weight `[rows, cols]` (Hugging Face orientation `[out, in]`) kept in its
/// ggml block layout: each row is `cols / 32` blocks of `type` along `in`. The bytes stay
/// where the mapped GGUF file has them (`storage` keeps the mapping alive), rows one
/// after another; a weight whose rows are in another order there (a GGUF llama's q and k)
/// reads them through `storedRows` instead of holding a reordered copy.
public struct QuantizedMatrix: Sendable, Equatable {
    /// The block types the quantised products handle.
    public static let supportedTypes: Set<GGMLType> = [.q4_0, .q4_1, .q8_0]

    public let rows: Int
    public let cols: Int
    public let type: GGMLType
    /// Owns the bytes: the mapped model file, or an in-memory copy.
    let storage: MappedFile
    /// Where the tensor's first stored row starts in `storage`.
    let offset: Int
    /// Row `r` is stored row `storedRows[r]` of the tensor; nil: row `r`.
    let storedRows: [Int32]?
    /// The column-packed copy the VNNI products read, made on first use.
    private let columnPacking = LazyColumnPacking()

    /// Rows of `type` blocks at `offset` in `storage`, which must hold them all.
    init(rows: Int, cols: Int, type: GGMLType, storage: MappedFile, offset: Int, storedRows: [Int32]? = nil) {
        precondition(Self.supportedTypes.contains(type), "no quantised product for \(type)")
        precondition(cols % type.blockSize == 0, "\(cols) columns are not whole \(type) blocks")
        precondition(offset >= 0 && offset + rows * (cols / type.blockSize) * type.typeSize <= storage.size,
                     "\(rows) rows of \(type) at \(offset) extend past \(storage.size) bytes")
        self.rows = rows
        self.cols = cols
        self.type = type
        self.storage = storage
        self.offset = offset
        self.storedRows = storedRows
    }

    /// Blocks per row.
    var blocksPerRow: Int { cols / type.blockSize }

    /// Bytes per row.
    var rowBytes: Int { blocksPerRow * type.typeSize }

    /// The first byte of row `row`'s blocks. Valid while `storage` lives (as long as this value).
    func blocks(ofRow row: Int) -> UnsafeRawPointer {
        storage.contents.baseAddress! + offset + storedRow(row) * rowBytes
    }

    private func storedRow(_ row: Int) -> Int { storedRows.map { Int($0[row]) } ?? row }

    /// Rows `range`'s blocks one after another: where they are stored so (no order of
    /// its own), else gathered into a temporary buffer, for `body` alone.
    func withConsecutiveBlocks<Result>(ofRows range: Range<Int>, _ body: (UnsafeRawPointer) -> Result) -> Result {
        guard storedRows != nil else { return body(blocks(ofRow: range.lowerBound)) }
        return withUnsafeTemporaryAllocation(byteCount: range.count * rowBytes, alignment: 64) { gathered in
            for (index, row) in range.enumerated() {
                (gathered.baseAddress! + index * rowBytes).copyMemory(from: blocks(ofRow: row), byteCount: rowBytes)
            }
            return body(UnsafeRawPointer(gathered.baseAddress!))
        }
    }

    /// Drops the pages of rows `0..<count` from resident memory (`MappedFile.releasePages`),
    /// once they are served by another copy. In their own order, when `count` is all the rows.
    func releasePages(ofRowsBelow count: Int) {
        guard storedRows == nil || count == rows else { return }
        storage.releasePages(offset..<offset + count * rowBytes)
    }

    /// The weight in the layout of the AVX-512 VNNI products (`Int8ColumnProduct`), packed
    /// the first time it is asked for; nil where the CPU lacks them or the outputs are
    /// not whole tiles. Packing releases the weight's pages of a mapped file: only the
    /// batch-invariant kernel (decoding) and embedding lookups still read them, and they
    /// fault back in from the file when they do.
    var columnPacked: ColumnPackedWeight? {
        guard Int8ColumnProduct.isAvailable, ColumnPackedWeight.packs(self) else { return nil }
        return columnPacking.weight { ColumnPackedWeight(self) }
    }

    /// The same weight with row `r` moved to `target(r)` (a permutation of the rows);
    /// blocks run along `in`, so whole rows of blocks move. The bytes stay where they are.
    func permutingRows(_ target: (Int) -> Int) -> QuantizedMatrix {
        var moved = [Int32](repeating: 0, count: rows)
        for row in 0..<rows { moved[target(row)] = Int32(storedRow(row)) }
        return QuantizedMatrix(rows: rows, cols: cols, type: type, storage: storage, offset: offset, storedRows: moved)
    }

    /// Row `row` dequantised to float32 (exactly `Dequantization`'s values) into
    /// `destination`. Once the weight is column-packed the row's blocks come from the
    /// packed copy, whose mapped pages were released (reading them would fault them back).
    func decodeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        guard let packed = columnPacking.existing else {
            decodeBlocks(blocks(ofRow: row), into: destination)
            return
        }
        withUnsafeTemporaryAllocation(byteCount: rowBytes, alignment: 16) { blocks in
            packed.unpackRow(row, into: blocks.baseAddress!)
            decodeBlocks(UnsafeRawPointer(blocks.baseAddress!), into: destination)
        }
    }

    private func decodeBlocks(_ source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        switch type {
        case .q4_0: Dequantization.decodeQ4_0(from: source, into: destination, count: cols)
        case .q4_1: Dequantization.decodeQ4_1(from: source, into: destination, count: cols)
        default: Dequantization.decodeQ8_0(from: source, into: destination, count: cols)
        }
    }

    /// Every value dequantised, `[rows, cols]`: the exact float32 weight.
    public func dequantized() -> Matrix {
        let values = [Float](unsafeUninitializedCapacity: rows * cols) { buffer, initialized in
            for row in 0..<rows { decodeRow(row, into: buffer.baseAddress! + row * cols) }
            initialized = rows * cols
        }
        return Matrix(rows: rows, cols: cols, values: values)
    }

    public static func == (a: QuantizedMatrix, b: QuantizedMatrix) -> Bool {
        a.rows == b.rows && a.cols == b.cols && a.type == b.type
            && (0..<a.rows).allSatisfy { memcmp(a.blocks(ofRow: $0), b.blocks(ofRow: $0), a.rowBytes) == 0 }
    }
}
