/// The layout the VNNI kernels read: the weight's output columns in groups of 16, one
/// per 32-bit lane of a zmm register, so one `vpdpbusd` multiplies 4 consecutive `k`
/// of 16 columns by 4 activation bytes broadcast to every lane, and after a block's 8
/// steps the 16 lanes hold 16 complete block dot products. GGUF's row-major blocks put
/// a block's dot in 8 lanes that then need summing, which costs what the int8
/// arithmetic saves.
///
/// A group's blocks follow one another along `k`; groups follow one another. Per
/// group and block:
/// - Q4 (Q4_0 and Q4_1, `w = d·n + m` with `m = −8·d` for Q4_0): 4 × 64 bytes of
///   packed nibbles — lane `l` of vector `j` holds column `l`'s GGUF quant bytes
///   `4j ..< 4j+4`, whose low nibbles are `k = 4j ..< 4j+4` and high nibbles
///   `k = 16+4j ..< 20+4j` — then 16 half-precision `d`, then 16 half-precision `m`:
///   320 bytes, exactly the GGUF's size for 16 Q4_1 blocks.
/// - Q8_0 (`w = d·q`): 8 × 64 bytes of quants (vector `g`, lane `l`: column `l`'s
///   `k = 4g ..< 4g+4`), 16 Int32 `−128 · Σq` (the kernel adds 128 to the activation
///   quants to make them the unsigned operand) and 16 half-precision `d`: 608 bytes.
public enum ColumnPackedLayout {
    /// Output columns of one group: the lanes of a zmm register of Int32.
    public static let columnsPerGroup = 16
    public static let q4GroupBlockBytes = 320
    public static let q8GroupBlockBytes = 608

    /// The packed size of `outputs` columns (a multiple of `columnsPerGroup`) of `blocks` blocks.
    public static func q4Bytes(outputs: Int, blocks: Int) -> Int { outputs / columnsPerGroup * blocks * q4GroupBlockBytes }
    public static func q8Bytes(outputs: Int, blocks: Int) -> Int { outputs / columnsPerGroup * blocks * q8GroupBlockBytes }

    /// Repacks GGUF Q4_1 rows (`rowBytes` apart; 20-byte blocks: `d`, `m`, 16 quant bytes).
    public static func packQ4_1(_ rows: UnsafeRawPointer, rowBytes: Int, outputs: Int, blocks: Int,
                                into packed: UnsafeMutableRawPointer) {
        packQ4(rows, rowBytes: rowBytes, outputs: outputs, blocks: blocks, blockBytes: 20, quantsAt: 4, into: packed) { block in
            (block.loadUnaligned(as: UInt16.self), block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
    }

    /// Repacks GGUF Q4_0 rows (18-byte blocks: `d`, 16 quant bytes of `n + 8`) as Q4 with
    /// `m = −8·d` (exact in half precision: a power-of-two multiple, negated).
    public static func packQ4_0(_ rows: UnsafeRawPointer, rowBytes: Int, outputs: Int, blocks: Int,
                                into packed: UnsafeMutableRawPointer) {
        packQ4(rows, rowBytes: rowBytes, outputs: outputs, blocks: blocks, blockBytes: 18, quantsAt: 2, into: packed) { block in
            let d = block.loadUnaligned(as: UInt16.self)
            return (d, (-8 * Float16(bitPattern: d)).bitPattern)
        }
    }

    private static func packQ4(_ rows: UnsafeRawPointer, rowBytes: Int, outputs: Int, blocks: Int, blockBytes: Int,
                               quantsAt quantOffset: Int, into packed: UnsafeMutableRawPointer,
                               scaleAndMinimum: (UnsafeRawPointer) -> (UInt16, UInt16)) {
        forEachGroupBlock(outputs: outputs, blocks: blocks, groupBlockBytes: q4GroupBlockBytes, packed) { group, block, target in
            for lane in 0..<columnsPerGroup {
                let source = rows + (group * columnsPerGroup + lane) * rowBytes + block * blockBytes
                for vector in 0..<4 {
                    (target + vector * 64 + lane * 4).copyMemory(from: source + quantOffset + vector * 4, byteCount: 4)
                }
                let (d, m) = scaleAndMinimum(source)
                target.storeBytes(of: d, toByteOffset: 256 + lane * 2, as: UInt16.self)
                target.storeBytes(of: m, toByteOffset: 288 + lane * 2, as: UInt16.self)
            }
        }
    }

    /// Repacks GGUF Q8_0 rows (34-byte blocks: `d`, 32 Int8 quants).
    public static func packQ8_0(_ rows: UnsafeRawPointer, rowBytes: Int, outputs: Int, blocks: Int,
                                into packed: UnsafeMutableRawPointer) {
        forEachGroupBlock(outputs: outputs, blocks: blocks, groupBlockBytes: q8GroupBlockBytes, packed) { group, block, target in
            for lane in 0..<columnsPerGroup {
                let source = rows + (group * columnsPerGroup + lane) * rowBytes + block * 34
                for vector in 0..<8 {
                    (target + vector * 64 + lane * 4).copyMemory(from: source + 2 + vector * 4, byteCount: 4)
                }
                var sum: Int32 = 0
                for k in 0..<32 { sum += Int32(source.load(fromByteOffset: 2 + k, as: Int8.self)) }
                target.storeBytes(of: -128 * sum, toByteOffset: 512 + lane * 4, as: Int32.self)
                target.storeBytes(of: source.loadUnaligned(as: UInt16.self), toByteOffset: 576 + lane * 2, as: UInt16.self)
            }
        }
    }

    /// Row `row`'s blocks back in GGUF layout (`blockBytes` 20 for Q4_1, 18 for Q4_0) from
    /// packed Q4, into `row`: the inverse of `packQ4_1` / `packQ4_0`, so a packed weight
    /// still serves single rows (embedding lookups) with the file's exact values.
    public static func unpackQ4Row(_ packed: UnsafeRawPointer, row: Int, blocks: Int, blockBytes: Int,
                                   into target: UnsafeMutableRawPointer) {
        let quantOffset = blockBytes - 16
        forEachBlock(of: row, packed, blocks: blocks, groupBlockBytes: q4GroupBlockBytes) { block, source, lane in
            let destination = target + block * blockBytes
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: 256 + lane * 2, as: UInt16.self), as: UInt16.self)
            if quantOffset == 4 {
                destination.storeBytes(of: source.loadUnaligned(fromByteOffset: 288 + lane * 2, as: UInt16.self),
                                       toByteOffset: 2, as: UInt16.self)
            }
            for vector in 0..<4 {
                (destination + quantOffset + vector * 4).copyMemory(from: source + vector * 64 + lane * 4, byteCount: 4)
            }
        }
    }

    /// Row `row`'s Q8_0 blocks back in GGUF layout (34 bytes each) from packed Q8.
    public static func unpackQ8_0Row(_ packed: UnsafeRawPointer, row: Int, blocks: Int, into target: UnsafeMutableRawPointer) {
        forEachBlock(of: row, packed, blocks: blocks, groupBlockBytes: q8GroupBlockBytes) { block, source, lane in
            let destination = target + block * 34
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: 576 + lane * 2, as: UInt16.self), as: UInt16.self)
            for vector in 0..<8 {
                (destination + 2 + vector * 4).copyMemory(from: source + vector * 64 + lane * 4, byteCount: 4)
            }
        }
    }

    private static func forEachBlock(of row: Int, _ packed: UnsafeRawPointer, blocks: Int, groupBlockBytes: Int,
                                     _ body: (_ block: Int, _ source: UnsafeRawPointer, _ lane: Int) -> Void) {
        let (group, lane) = row.quotientAndRemainder(dividingBy: columnsPerGroup)
        for block in 0..<blocks {
            body(block, packed + (group * blocks + block) * groupBlockBytes, lane)
        }
    }

    private static func forEachGroupBlock(outputs: Int, blocks: Int, groupBlockBytes: Int, _ packed: UnsafeMutableRawPointer,
                                          _ body: (_ group: Int, _ block: Int, _ target: UnsafeMutableRawPointer) -> Void) {
        precondition(outputs % columnsPerGroup == 0, "\(outputs) outputs are not whole groups of \(columnsPerGroup)")
        for group in 0..<outputs / columnsPerGroup {
            for block in 0..<blocks {
                body(group, block, packed + (group * blocks + block) * groupBlockBytes)
            }
        }
    }
}
