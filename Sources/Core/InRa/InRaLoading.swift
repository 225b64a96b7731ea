import Foundation

extension InRaModel {
    /// Loads an InRa model and the file it came from (tokenizer, template, stops):
    /// - `adapter` nil: `path` is an expanded Hugging Face directory whose
    ///   `config.json` declares `realign_inra` with `adapter_layer` 0;
    /// - `adapter` given: `path` is the base model (GGUF file or Hugging Face
    ///   directory, quantised GGUF included) and `adapter` the adapter layer file.
    /// `precision` applies to a GGUF base.
    public static func load(path: String, adapter: String? = nil, precision: WeightPrecision = .exact) throws(FileError) -> (model: InRaModel, file: ModelFile) {
        let file = try ModelLoader.load(path: path, precision: precision)
        if let adapter {
            let layer = try InRaAdapter.load(path: adapter, config: file.weights.config)
            return (InRaModel(base: file.weights, adapter: layer), file)
        }
        guard let declared = try declaredAdapterLayer(directory: path) else {
            throw FileError(path: path, problem: "config.json declares no realign_inra adapter (and no adapter file was given)")
        }
        guard declared == adapterLayer else {
            throw FileError(path: path, problem: "realign_inra.adapter_layer is \(declared); only \(adapterLayer) is supported")
        }
        return (InRaModel(expanded: file.weights), file)
    }

    /// `realign_inra.adapter_layer` of a Hugging Face directory's `config.json`, nil
    /// when the path is not a directory or declares no adapter.
    public static func declaredAdapterLayer(directory: String) throws(FileError) -> Int? {
        guard InRaExpansion.isHuggingFaceDirectory(directory) else { return nil }
        let config = try HuggingFaceJSON(path: InRaExpansion.join(directory, "config.json"))
        guard let entry = try config.object("realign_inra") else { return nil }
        guard let layer = try entry.integer("adapter_layer") else { throw config.error("realign_inra has no adapter_layer") }
        return layer
    }
}
