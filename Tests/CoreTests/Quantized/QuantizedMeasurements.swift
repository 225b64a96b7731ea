import Dispatch
import Foundation
import Testing
@testable import Core

/// Figures, not assertions on time (the machine is shared): run in release with
/// `swift test -c release --disable-xctest --filter QuantizedMeasurements`.
@Suite("QuantizedMeasurements: decode speed and product kernels (prints figures)", .serialized)
struct QuantizedMeasurements {
    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The alternative to 8-bit activations: a Q4_1 block dequantised to float32 lanes
    /// (exactly `d·q + m`) and multiplied by the float activations.
    static func floatDotQ4_1(_ weight: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
        var sum = SIMD16<Float>.zero
        let xs = UnsafeRawPointer(x)
        for block in 0..<blocks {
            let base = weight + block * 20
            let d = Float(Float16(bitPattern: base.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let packed = base.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let low = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: packed & 0x0F)) * d + m
            let high = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: packed &>> 4)) * d + m
            sum += low * xs.loadUnaligned(fromByteOffset: block * 128, as: SIMD16<Float>.self)
            sum += high * xs.loadUnaligned(fromByteOffset: block * 128 + 64, as: SIMD16<Float>.self)
        }
        return sum.sum()
    }

    @Test("Q4_1 kernel: 8-bit activations against float32 dequantised blocks, one thread")
    func kernelChoice() throws {
        var random = RandomBlocks(state: 1)
        let (outputs, cols) = (1536, 576)
        let weight = random.matrix(.q4_1, rows: outputs, cols: cols)
        let x = random.activations(rows: 1, cols: cols)
        var y = [Float](repeating: 0, count: outputs)
        let repeats = 300
        let saved = ComputeThreads.count
        ComputeThreads.set(1)
        defer { ComputeThreads.set(saved) }
        let quantized = Self.seconds {
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    for _ in 0..<repeats { QuantizedProduct.apply(xs.baseAddress!, rows: 1, weight: weight, into: ys.baseAddress!, accumulate: false) }
                }
            }
        }
        let float = Self.seconds {
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    for _ in 0..<repeats {
                        for o in 0..<outputs {
                            ys[o] = Self.floatDotQ4_1(weight.blocks(ofRow: o), xs.baseAddress!, blocks: weight.blocksPerRow)
                        }
                    }
                }
            }
        }
        let gigabytes = Double(repeats * outputs * weight.rowBytes) / 1e9
        print("kernel Q4_1 1536x576 m=1, 1 thread: int8 activations \(String(format: "%.1f", gigabytes / quantized)) GB/s, float32 blocks \(String(format: "%.1f", gigabytes / float)) GB/s")
    }

    @Test("Products of many rows: the kernel against dequantised row blocks through sgemm")
    func manyRows() throws {
        var random = RandomBlocks(state: 2)
        let (outputs, cols) = (1536, 576)
        let weight = random.matrix(.q4_1, rows: outputs, cols: cols)
        for rows in [16, 64, 512] {
            let x = random.activations(rows: rows, cols: cols)
            var y = [Float](repeating: 0, count: rows * outputs)
            let kernel = Self.seconds {
                x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer {
                    QuantizedProduct.apply(xs.baseAddress!, rows: rows, weight: weight, into: $0.baseAddress!, accumulate: false)
                } }
            }
            let sgemm = Self.seconds {
                x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer {
                    QuantizedProduct.applyDequantizing(xs.baseAddress!, rows: rows, weight: weight, into: $0.baseAddress!, accumulate: false)
                } }
            }
            print("Q4_1 1536x576, \(rows) rows: kernel \(String(format: "%.2f", kernel * 1000)) ms, dequantise+sgemm \(String(format: "%.2f", sgemm * 1000)) ms")
        }
    }

    /// Best of `repeats` timings.
    static func bestSeconds(repeats: Int = 5, _ body: () -> Void) -> Double {
        (0..<repeats).map { _ in seconds(body) }.min()!
    }

    /// The layers' Q4_1 shapes and the output head (Q8_0 in the SmolLM2 file), whose
    /// teacher jobs multiply it `TeacherFusion.headColumns` vocabulary entries at a time.
    @Test("512-row products: dequantise+sgemm, VNNI on packed weights, sgemm on float32", .enabled(if: Int8ColumnProduct.isAvailable))
    func vnniProducts() throws {
        var random = RandomBlocks(state: 3)
        let rows = 512
        for (type, outputs, cols) in [(GGMLType.q4_1, 1536, 576), (.q4_1, 576, 1536), (.q4_1, 49152, 576), (.q8_0, 49152, 576)] {
            let weight = random.matrix(type, rows: outputs, cols: cols)
            let exact = weight.dequantized()
            let x = random.activations(rows: rows, cols: cols)
            var y = [Float](repeating: 0, count: rows * outputs)
            var packed: ColumnPackedWeight?
            let repack = Self.seconds { packed = ColumnPackedWeight(weight) }
            let vnniWeight = try #require(packed)
            func run(_ product: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> (seconds: Double, y: [Float]) {
                let time = x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { ys in Self.bestSeconds { product(xs.baseAddress!, ys.baseAddress!) } }
                }
                return (time, y)
            }
            let dequantizing = run { QuantizedProduct.applyDequantizing($0, rows: rows, weight: weight, into: $1, accumulate: false) }
            let sgemm = run { Linear.apply($0, rows: rows, weight: exact, into: $1) }
            let vnni = run { Int8ColumnProduct.apply($0, rows: rows, weight: vnniWeight, outputs: 0..<outputs, into: $1, accumulate: false) }
            let kernel = run { QuantizedProduct.apply($0, rows: rows, weight: weight, into: $1, accumulate: false) }
            let block = min(outputs, TeacherFusion.headColumns)
            let inBlocks = run { x, y in
                for first in stride(from: 0, to: outputs, by: block) {
                    Int8ColumnProduct.apply(x, rows: rows, weight: vnniWeight, outputs: first..<first + block, into: y, accumulate: false)
                }
            }
            // Errors relative to the output's root mean square (per-element relative errors
            // are unbounded where an output is near zero).
            let rms = (sgemm.y.reduce(0) { $0 + Double($1) * Double($1) } / Double(sgemm.y.count)).squareRoot()
            let errors = zip(vnni.y, sgemm.y).map { Double(abs($0 - $1)) / rms }
            let kernelGap = zip(vnni.y, kernel.y).map { Double(abs($0 - $1)) / rms }.max()!
            let flop = 2 * Double(rows * outputs * cols)
            func rate(_ seconds: Double) -> String { String(format: "%.0f", flop / seconds / 1e9) }
            print("\(type) \(outputs)x\(cols), \(rows) rows, \(ComputeThreads.count) threads, GFLOP/s: dequantise+sgemm \(rate(dequantizing.seconds)), "
                + "VNNI \(rate(vnni.seconds)) (in blocks of \(block) outputs \(rate(inBlocks.seconds))), float32 sgemm \(rate(sgemm.seconds)), AVX2 kernel \(rate(kernel.seconds)); "
                + "repack \(String(format: "%.1f", repack * 1000)) ms; VNNI error / rms(y): max \(String(format: "%.2e", errors.max()!)), "
                + "mean \(String(format: "%.2e", errors.reduce(0, +) / Double(errors.count))); VNNI vs AVX2 kernel: max \(String(format: "%.1e", kernelGap))")
        }
    }

    @Test("Resident memory of a quantised model before and after its first teacher forcing (column packing)")
    func packingMemory() throws {
        let file = try ModelLoader.load(path: TestPaths.smolLM2, precision: .quantized)
        let transformer = Transformer(weights: file.weights)
        let sequence = (0..<512).map { Int32(200 + 37 * $0) }
        func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }
        func report(_ label: String) throws {
            let now = try ProcessMemory.resident(pid: getpid())
            print("\(label): resident \(megabytes(now.total)) MB, file \(megabytes(now.file)) MB, anonymous \(megabytes(now.anonymous)) MB")
        }
        _ = transformer.logits(sequences: [Array(sequence.prefix(4))], rows: [0..<1])
        try report("after a 4-token forward")
        _ = transformer.logits(sequences: [sequence], rows: [511..<512])
        try report("after a 512-token forward")
        _ = transformer.logits(sequences: [sequence], rows: [511..<512])
        try report("after a second 512-token forward")
    }

    /// 128 prompt tokens, then 128 greedy tokens, one sequence.
    static func decodeFigures(_ weights: ModelWeights, label: String) {
        let transformer = Transformer(weights: weights)
        let session = DecodeSession(model: .plain(transformer))
        let prompt = (0..<128).map { Int32(200 + 37 * $0) }
        try? session.add(GenerationRequest(id: "bench", promptIds: prompt, maxTokens: 129))
        var steps = 0
        let prefill = seconds { _ = session.step() }
        let decode = seconds {
            while !session.isEmpty { _ = session.step(); steps += 1 }
        }
        print("\(label): prefill 128 tokens \(String(format: "%.2f", prefill)) s, decode \(String(format: "%.1f", Double(steps) / decode)) tokens/s (\(steps) steps, \(ComputeThreads.count) threads)")
    }

    static func residentWeightBytes(_ weights: ModelWeights) -> Int {
        func bytes(_ weight: LinearWeight) -> Int {
            switch weight {
            case .dense(let matrix): matrix.values.count * 4
            case .quantized(let matrix): matrix.rows * matrix.rowBytes
            }
        }
        let tied = weights.config.tieWordEmbeddings ? 0 : bytes(weights.outputHead)
        return bytes(weights.embedding) + tied + weights.layers.reduce(0) { sum, layer in
            sum + [layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.gateProj, layer.upProj, layer.downProj].map(bytes).reduce(0, +)
                + 4 * (layer.inputNorm.count + layer.postAttentionNorm.count)
        }
    }

    @Test("SmolLM2 Q4_1 decode: exact float32 weights against quantised weights")
    func decodeSpeed() throws {
        let exact = try SmolLM2ModelFile.file.get().weights
        let quantized = try SmolLM2QuantizedFile.file.get().weights
        print("weights held: exact \(Self.residentWeightBytes(exact) / 1_000_000) MB, quantised \(Self.residentWeightBytes(quantized) / 1_000_000) MB")
        Self.decodeFigures(exact, label: "exact")
        Self.decodeFigures(quantized, label: "quantised")
    }
}
