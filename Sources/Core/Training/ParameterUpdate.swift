extension ModelWeights {
    /// Calls `body` with the Hugging Face name, the values and the gradient of every
    /// parameter that has a gradient, so an optimiser can update it in place. A tied
    /// output head is re-pointed at the updated embedding afterwards.
    public mutating func update(
        with gradients: ModelGradients, _ body: (_ name: String, _ parameter: inout [Float], _ gradient: [Float]) -> Void
    ) {
        precondition(gradients.layers.count == layers.count,
                     "gradients for \(gradients.layers.count) layers, model has \(layers.count)")
        if let gradient = gradients.embedding { body(ParameterNames.embedding, &embedding.matrix.values, gradient.values) }
        for (index, layerGradient) in gradients.layers.enumerated() {
            guard let layerGradient else { continue }
            for parameter in LayerParameter.all where parameter.isPresent(in: layerGradient) {
                body(ParameterNames.layer(index, parameter.name), &layers[index][keyPath: parameter.weight],
                     layerGradient[keyPath: parameter.gradient])
            }
        }
        if let gradient = gradients.finalNorm { body(ParameterNames.finalNorm, &finalNorm, gradient) }
        if config.tieWordEmbeddings {
            outputHead = embedding
        } else if let gradient = gradients.outputHead {
            body(ParameterNames.outputHead, &outputHead.matrix.values, gradient.values)
        }
    }
}
