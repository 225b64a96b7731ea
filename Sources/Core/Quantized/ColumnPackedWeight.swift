import QuantizedKernelsAVX512

/// A `QuantizedMatrix` repacked once into the column-interleaved `ColumnPackedLayout`
/// the AVX-512 VNNI products read (`Int8ColumnProduct`). Q4_0 and Q4_1 pack to the
/// same Q4 form (Q4_1's size exactly); Q8_0 to 608 bytes per 16 blocks (544 in GGUF).
final class ColumnPackedWeight: @unchecked Sendable {
    // @unchecked: `bytes` is written only in `init` and read-only afterwards.
    enum Form { case q4, q8 }

    let outputs: Int
    let blocksPerRow: Int
    let form: Form
    let bytes: UnsafeRawPointer
    let byteCount: Int

    /// Whether `matrix` packs: its outputs must be whole tiles of the kernels.
    static func packs(_ matrix: QuantizedMatrix) -> Bool {
        matrix.rows % Int8ColumnProduct.outputsPerTile == 0
    }

    init(_ matrix: QuantizedMatrix) {
        precondition(Self.packs(matrix), "\(matrix.rows) outputs are not whole tiles of \(Int8ColumnProduct.outputsPerTile)")
        let (outputs, blocks) = (matrix.rows, matrix.blocksPerRow)
        let form: Form = matrix.type == .q8_0 ? .q8 : .q4
        let byteCount = form == .q4
            ? ColumnPackedLayout.q4Bytes(outputs: outputs, blocks: blocks)
            : ColumnPackedLayout.q8Bytes(outputs: outputs, blocks: blocks)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        let pack = switch matrix.type {
        case .q4_0: ColumnPackedLayout.packQ4_0
        case .q4_1: ColumnPackedLayout.packQ4_1
        default: ColumnPackedLayout.packQ8_0
        }
        withExtendedLifetime(matrix) {
            pack(matrix.base, matrix.rowBytes, outputs, blocks, packed)
        }
        self.outputs = outputs
        blocksPerRow = blocks
        self.form = form
        self.byteCount = byteCount
        bytes = UnsafeRawPointer(packed)
    }

    deinit { UnsafeMutableRawPointer(mutating: bytes).deallocate() }
}
