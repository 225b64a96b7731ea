import Testing
@testable import Core

/// `REALIGN_WEIGHTS`: both spellings of the quantised path, the exact default, and a
/// readable error for anything else.
@Suite struct WeightPrecisionTests {
    @Test func bothSpellingsSelectTheQuantisedPath() throws {
        #expect(try WeightPrecision.inference(environment: ["REALIGN_WEIGHTS": "quantized"]) == .quantized)
        #expect(try WeightPrecision.inference(environment: ["REALIGN_WEIGHTS": "quantised"]) == .quantized)
        #expect(try WeightPrecision.inference(environment: ["REALIGN_WEIGHTS": "exact"]) == .exact)
    }

    @Test func unsetOrEmptyIsExact() throws {
        #expect(try WeightPrecision.inference(environment: [:]) == .exact)
        #expect(try WeightPrecision.inference(environment: ["REALIGN_WEIGHTS": ""]) == .exact)
    }

    @Test func anotherValueIsRefusedNamingTheAcceptedOnes() {
        #expect(throws: FileError(path: "REALIGN_WEIGHTS", problem: "Quantized is not a weight precision (exact, quantized or quantised)")) {
            try WeightPrecision.inference(environment: ["REALIGN_WEIGHTS": "Quantized"])
        }
    }
}
