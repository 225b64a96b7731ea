/// What every checkpoint of a student carries besides its weights: the tokenizer files
/// and the bos / eos ids, taken from the student as it was loaded, so a checkpoint is a
/// self-contained model directory.
public struct CheckpointModel: Sendable, Equatable {
    public var tokenizer: HuggingFaceTokenizerFiles?
    public var bosTokenID: Int32?
    public var eosTokenIDs: [Int32]
    /// Set for an InRa model (adapter at layer 0 in front of this many base layers):
    /// `config.json` then declares `realign_inra`, so the checkpoint loads as InRa.
    public var inraBaseLayers: Int?

    public init(tokenizer: HuggingFaceTokenizerFiles?, bosTokenID: Int32?, eosTokenIDs: [Int32], inraBaseLayers: Int? = nil) {
        self.tokenizer = tokenizer
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.inraBaseLayers = inraBaseLayers
    }

    /// A Hugging Face student's tokenizer files are copied; a GGUF student's tokenizer
    /// and chat template are written out in Hugging Face's format; a student with
    /// neither (the tiny test models) gets no tokenizer files.
    public init(student file: ModelFile, inraBaseLayers: Int? = nil) throws(CheckpointError) {
        var bos: Int32?
        if let spec = file.tokenizer {
            tokenizer = try HuggingFaceTokenizerFiles.from(spec: spec, chatTemplate: file.chatTemplate,
                                                           contextLength: file.weights.config.contextLength)
            bos = spec.bosTokenId
        } else if file.huggingFaceTokenizerJSON != nil {
            tokenizer = HuggingFaceTokenizerFiles.copied(fromDirectory: file.path)
            if let json = file.huggingFaceTokenizerJSON,
               let spec = try? TokenizerSpec(huggingFaceTokenizerJSON: json, tokenizerConfigJSON: file.huggingFaceTokenizerConfigJSON) {
                bos = spec.bosTokenId
            }
        } else {
            tokenizer = nil
        }
        bosTokenID = bos
        eosTokenIDs = file.stopTokenIds
        self.inraBaseLayers = inraBaseLayers
    }
}
