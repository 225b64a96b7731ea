/// How a GGUF file's quantised weights are held in memory.
public enum WeightPrecision: String, Sendable, Equatable, CaseIterable {
    /// Dequantised once to float32 at load; products through sgemm. The numbers the
    /// fidelity goldens were made with, and what training needs.
    case exact
    /// Q4_0, Q4_1 and Q8_0 linear weights and embeddings kept in their blocks where the
    /// mapped file has them. Decode steps go through the batch-invariant SIMD kernels of
    /// `QuantizedProduct` (activations quantised to 8 bits); teacher forcing and prompts
    /// through `Int8ColumnProduct` (the same 8-bit activations, AVX-512 VNNI) where the CPU
    /// has it, else through sgemm on blocks dequantised to the exact values. Other types
    /// are dequantised as on the exact path.
    case quantized

    /// The environment variable that selects the precision of inference loads (worker,
    /// `generate`, `eval`): `exact` (the default, what the fleet tests' goldens assume)
    /// or `quantized` (also spelt `quantised`, as the README's prose spells it).
    public static let environmentVariable = "REALIGN_WEIGHTS"

    /// What the `--help` of a command that starts an embedded fleet says of it.
    public static let embeddedWorkersHelp =
        "The embedded workers inherit REALIGN_WEIGHTS (exact, the default, or quantized; see realign-worker --help)."

    /// The precision a `REALIGN_WEIGHTS` value names: a raw value or the British
    /// spelling `quantised`; nil for anything else.
    public init?(name: String) {
        if let precision = WeightPrecision(rawValue: name) {
            self = precision
        } else if name == "quantised" {
            self = .quantized
        } else {
            return nil
        }
    }

    /// The precision `environment` selects for inference, `exact` when unset.
    public static func inference(environment: [String: String]) throws(FileError) -> WeightPrecision {
        guard let value = environment[environmentVariable], !value.isEmpty else { return .exact }
        guard let precision = WeightPrecision(name: value) else {
            throw FileError(path: environmentVariable, problem: "\(value) is not a weight precision (exact, quantized or quantised)")
        }
        return precision
    }
}
