import Foundation

/// A linear weight `[rows, cols]` (Hugging Face orientation `[out, in]`) kept in its
/// ggml block layout: each row is `cols / 32` blocks of `type` along `in`, rows one
/// after another. The bytes usually stay where the mapped GGUF file has them (`storage`
/// keeps the mapping alive); a weight whose rows had to be reordered holds a reordered
/// copy in memory instead.
public struct QuantizedMatrix: Sendable, Equatable {
    /// The block types the quantised products handle.
    public static let supportedTypes: Set<GGMLType> = [.q4_0, .q4_1, .q8_0]

    public let rows: Int
    public let cols: Int
    public let type: GGMLType
    /// Owns the bytes: the mapped model file, or an in-memory copy.
    let storage: MappedFile
    /// Where row 0 starts in `storage`.
    let offset: Int
    /// The column-packed copy the VNNI products read, made on first use.
    private let columnPacking = LazyColumnPacking()

    /// Rows of `type` blocks at `offset` in `storage`, which must hold them all.
    init(rows: Int, cols: Int, type: GGMLType, storage: MappedFile, offset: Int) {
        precondition(Self.supportedTypes.contains(type), "no quantised product for \(type)")
        precondition(cols % type.blockSize == 0, "\(cols) columns are not whole \(type) blocks")
        precondition(offset >= 0 && offset + rows * (cols / type.blockSize) * type.typeSize <= storage.size,
                     "\(rows) rows of \(type) at \(offset) extend past \(storage.size) bytes")
        self.rows = rows
        self.cols = cols
        self.type = type
        self.storage = storage
        self.offset = offset
    }

    /// Blocks per row.
    var blocksPerRow: Int { cols / type.blockSize }

    /// Bytes per row.
    var rowBytes: Int { blocksPerRow * type.typeSize }

    /// The first byte of row 0. Valid while `storage` lives (as long as this value).
    var base: UnsafeRawPointer { storage.contents.baseAddress! + offset }

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
    /// blocks run along `in`, so whole rows of blocks move. The result owns its bytes.
    func permutingRows(_ target: (Int) -> Int) -> QuantizedMatrix {
        let rowBytes = self.rowBytes
        var bytes = [UInt8](repeating: 0, count: rows * rowBytes)
        bytes.withUnsafeMutableBytes { destination in
            for row in 0..<rows {
                (destination.baseAddress! + target(row) * rowBytes).copyMemory(from: base + row * rowBytes, byteCount: rowBytes)
            }
        }
        return QuantizedMatrix(rows: rows, cols: cols, type: type, storage: MappedFile(path: storage.path, bytes: bytes), offset: 0)
    }

    /// Row `row` dequantised to float32 (exactly `Dequantization`'s values) into
    /// `destination`. Once the weight is column-packed the row's blocks come from the
    /// packed copy, whose mapped pages were released (reading them would fault them back).
    func decodeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        guard let packed = columnPacking.existing else {
            decodeBlocks(base + row * rowBytes, into: destination)
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
            && memcmp(a.base, b.base, a.rows * a.rowBytes) == 0
    }
}
