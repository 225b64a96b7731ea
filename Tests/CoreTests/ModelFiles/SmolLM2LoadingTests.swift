import Foundation
import Testing
@testable import Core

@Suite struct SmolLM2LoadingTests {
    @Test func loadsQuickly() throws {
        var t = Date()
        func lap(_ s: String) { print(s, Date().timeIntervalSince(t)); t = Date() }
        let gguf = try GGUFFile(path: TestPaths.smolLM2); lap("parse")
        let info = gguf.tensor(named: "token_embd.weight")!
        let bytes = try gguf.bytes(of: info)
        let a = try Dequantization.floats(of: info, bytes: bytes, path: ""); lap("floats 1")
        let b = try Dequantization.floats(of: info, bytes: bytes, path: ""); lap("floats 2")
        let c = [Float](unsafeUninitializedCapacity: info.elementCount) { buf, n in
            Dequantization.decodeQ8_0(from: bytes.baseAddress!, into: buf.baseAddress!, count: info.elementCount); n = info.elementCount }; lap("direct")
        let w = try ModelWeights(gguf: gguf); lap("weights")
        #expect(a.count + b.count + c.count + w.layers.count > 0)
    }
}
