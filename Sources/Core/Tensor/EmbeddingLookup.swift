/// Token embedding: the forward gather of table rows and, for training, the backward
/// scatter-add of row gradients into the table's gradient.
enum EmbeddingLookup {
    /// Copies the row of every token into `destination` (`[tokens, width]`); rows of a
    /// quantised table are dequantised (exactly) as they are copied.
    static func gather(_ tokens: [Int32], table: LinearWeight, into destination: UnsafeMutablePointer<Float>) {
        let width = table.cols
        for token in tokens {
            precondition(token >= 0 && Int(token) < table.rows, "token id \(token) outside the vocabulary of \(table.rows)")
        }
        switch table {
        case .dense(let matrix):
            matrix.values.withUnsafeBufferPointer { values in
                for (row, token) in tokens.enumerated() {
                    (destination + row * width).update(from: values.baseAddress! + Int(token) * width, count: width)
                }
            }
        case .quantized(let matrix):
            for (row, token) in tokens.enumerated() {
                matrix.decodeRow(Int(token), into: destination + row * width)
            }
        }
    }

    /// `tableGradient[token] += rowGradients[row]` for every row: a token used at
    /// several rows collects all their gradients.
    static func scatterAdd(_ tokens: [Int32], rowGradients: UnsafePointer<Float>, into tableGradient: inout Matrix) {
        let width = tableGradient.cols
        let vocab = tableGradient.rows
        tableGradient.values.withUnsafeMutableBufferPointer { table in
            for (row, token) in tokens.enumerated() {
                precondition(token >= 0 && Int(token) < vocab, "token id \(token) outside the vocabulary of \(vocab)")
                ElementWise.add(rowGradients + row * width, into: table.baseAddress! + Int(token) * width, count: width)
            }
        }
    }
}
