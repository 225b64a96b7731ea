import Foundation
@testable import Core

/// Test support: the tiny Hugging Face model directories of the fixtures as
/// `ModelWeights` (through the product's loader), and the shared sequences and golden
/// files the forward and fusion tests compare against.
enum TinyModelFixture {
    static func weights(_ directory: String) throws -> ModelWeights {
        try ModelLoader.load(path: TestPaths.fixture(directory)).weights
    }

    /// The token sequences `A`, `B`, `C` of `sequences.json`.
    static func sequences() throws -> [String: [Int32]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("sequences.json")))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: [Int]] ?? [:]
        return object.mapValues { $0.map(Int32.init) }
    }

    static let sequenceNames = ["A", "B", "C"]

    static func golden(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: TestPaths.fixture("goldens/" + name))
    }
}

/// The largest absolute element-wise difference of two equally long arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
