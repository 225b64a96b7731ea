import Foundation
import Testing
@testable import Core

@Suite struct DequantizationTests {
    static func half(_ value: Float) -> [UInt8] { GGUFTestFile.le(Float16(value).bitPattern) }

    func decode(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        try bytes.withUnsafeBytes { source in
            try out.withUnsafeMutableBufferPointer { destination in
                try Dequantization.decode(type, from: source.baseAddress!, into: destination.baseAddress!, count: count, tensor: "t", path: "p")
            }
        }
        return out
    }

    @Test func f16AndBF16WidenExactly() throws {
        let halves: [Float] = [0, -0.0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, .infinity]
        #expect(try decode(.f16, halves.flatMap { Self.half($0) }, count: halves.count) == halves)
        let nan = try decode(.f16, GGUFTestFile.le(UInt16(0x7E00)), count: 1)
        #expect(nan[0].isNaN)
        let bfloats: [Float] = [1, -3.140625, Float(sign: .plus, exponent: 100, significand: 1.5), 0]
        let bf16Bytes = bfloats.flatMap { GGUFTestFile.le(UInt16($0.bitPattern >> 16)) }
        #expect(try decode(.bf16, bf16Bytes, count: 4) == bfloats)
        let f32: [Float] = [1.5, -7, .pi]
        #expect(try decode(.f32, f32.flatMap { GGUFTestFile.le($0.bitPattern) }, count: 3) == f32)
    }

    @Test func q8_0Blocks() throws {
        let quants: [Int8] = (0..<32).map { Int8($0 * 8 - 128) }
        let block = Self.half(0.5) + quants.map { UInt8(bitPattern: $0) }
        let second = Self.half(-2) + [UInt8](repeating: 3, count: 32)
        let values = try decode(.q8_0, block + second, count: 64)
        #expect(Array(values.prefix(32)) == quants.map { 0.5 * Float($0) })
        #expect(Array(values.suffix(32)) == [Float](repeating: -6, count: 32))
    }

    @Test func q4_0LowNibblesAreTheFirstHalf() throws {
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let values = try decode(.q4_0, Self.half(0.25) + qs, count: 32)
        let low: [Float] = (0..<16).map { (j: Int) -> Float in Float(j - 8) * 0.25 }
        let high: [Float] = (0..<16).map { (j: Int) -> Float in Float(7 - j) * 0.25 }
        #expect(Array(values.prefix(16)) == low)
        #expect(Array(values.suffix(16)) == high)
    }

    @Test func q4_1ScaleAndMinimum() throws {
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let d: Float = 0.0999755859375, m: Float = -0.75
        let values = try decode(.q4_1, Self.half(d) + Self.half(m) + qs, count: 32)
        let low: [Float] = (0..<16).map { (j: Int) -> Float in d * Float(j) + m }
        let high: [Float] = (0..<16).map { (j: Int) -> Float in d * Float(15 - j) + m }
        #expect(Array(values.prefix(16)) == low)
        #expect(Array(values.suffix(16)) == high)
    }

    @Test func otherTypesAreRejectedNamingTensorAndType() throws {
        let error = #expect(throws: FileError.self) { try self.decode(.q6_K, [UInt8](repeating: 0, count: 210), count: 256) }
        #expect(error == FileError(path: "p", problem: "tensor t has type Q6_K, which cannot be dequantised (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)"))
    }
}
