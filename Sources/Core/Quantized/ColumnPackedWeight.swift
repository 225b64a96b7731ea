import QuantizedKernelsAVX512

/// A `QuantizedMatrix` repacked once into the column-interleaved `ColumnPackedLayout`
/// the AVX-512 VNNI products read (`Int8ColumnProduct`). Q4_0 and Q4_1 pack to the
/// same Q4 form (Q4_1's size exactly); Q8_0 to 608 bytes per 16 blocks (544 in GGUF).
final class ColumnPackedWeight: @unchecked Sendable {
    // @unchecked: `bytes` is written only in `init` and read-only afterwards.
    enum Form { case q4, q8 }

    let outputs: Int
    let blocksPerRow: Int
    /// The GGUF block type packed.
    let type: GGMLType
    let form: Form
    let bytes: UnsafeRawPointer
    let byteCount: Int

    /// Rows packed between releases of the source's pages: the output head's 49,152 rows
    /// are never resident in both layouts at once.
    static let rowsPerChunk = 1024

    /// Whether `matrix` packs: its outputs must be whole tiles of the kernels.
    static func packs(_ matrix: QuantizedMatrix) -> Bool {
        matrix.rows % Int8ColumnProduct.outputsPerTile == 0
    }

    /// Packs `matrix`, releasing the pages of a mapped file's rows as they are packed
    /// (`MappedFile.releasePages`: rows read again later fault back in from the file).
    init(_ matrix: QuantizedMatrix) {
        precondition(Self.packs(matrix), "\(matrix.rows) outputs are not whole tiles of \(Int8ColumnProduct.outputsPerTile)")
        let (outputs, blocks, rowBytes) = (matrix.rows, matrix.blocksPerRow, matrix.rowBytes)
        let form: Form = matrix.type == .q8_0 ? .q8 : .q4
        let packedBytes = form == .q4 ? ColumnPackedLayout.q4Bytes : ColumnPackedLayout.q8Bytes
        let byteCount = packedBytes(outputs, blocks)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        let pack = switch matrix.type {
        case .q4_0: ColumnPackedLayout.packQ4_0
        case .q4_1: ColumnPackedLayout.packQ4_1
        default: ColumnPackedLayout.packQ8_0
        }
        withExtendedLifetime(matrix) {
            // Groups of columns are consecutive in the packed layout, so a chunk of rows
            // packs to a consecutive range.
            for first in stride(from: 0, to: outputs, by: Self.rowsPerChunk) {
                let count = min(Self.rowsPerChunk, outputs - first)
                matrix.withConsecutiveBlocks(ofRows: first..<first + count) { rows in
                    pack(rows, rowBytes, count, blocks, packed + packedBytes(first, blocks))
                }
                matrix.releasePages(ofRowsBelow: first + count)
            }
        }
        self.outputs = outputs
        blocksPerRow = blocks
        type = matrix.type
        self.form = form
        self.byteCount = byteCount
        bytes = UnsafeRawPointer(packed)
    }

    /// Row `row`'s blocks as the GGUF has them, into `target` (`blocksPerRow · type.typeSize` bytes).
    func unpackRow(_ row: Int, into target: UnsafeMutableRawPointer) {
        switch type {
        case .q8_0: ColumnPackedLayout.unpackQ8_0Row(bytes, row: row, blocks: blocksPerRow, into: target)
        default: ColumnPackedLayout.unpackQ4Row(bytes, row: row, blocks: blocksPerRow, blockBytes: type.typeSize, into: target)
        }
    }

    deinit { UnsafeMutableRawPointer(mutating: bytes).deallocate() }
}
