/// What a served model decodes from in each generation mode.
extension ServedModel {
    /// `plain`: the model as it is; for an InRa model the aligned stream alone (the
    /// expanded stack as an ordinary model).
    public var plainDecodingModel: DecodingModel { .plain(transformer) }

    /// `inra`: both streams of the InRa model; nil for a model without an adapter.
    public var inraDecodingModel: DecodingModel? { inra.map { .inra($0) } }

    /// `dera`: two served models (each as `plain` decodes it), mixed by lambda.
    public static func deraDecodingModel(reference: ServedModel, aligned: ServedModel) -> DecodingModel {
        .dera(reference: reference.transformer, aligned: aligned.transformer)
    }
}
