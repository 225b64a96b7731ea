extension SafetensorsWriter {
    /// Adds float values stored as `dtype` (F32, F16 or BF16), rounded to nearest even.
    public mutating func add(_ name: String, shape: [Int], floats values: [Float], as dtype: SafetensorsDType) throws(SafetensorsWriteError) {
        switch dtype {
        case .f32:
            try add(name, shape: shape, float32: values)
        case .f16:
            let halves = values.map { Float16($0).bitPattern.littleEndian }
            try add(TensorDescriptor(name: name, dtype: .f16, shape: shape), bytes: halves.withUnsafeBytes { Array($0) })
        case .bf16:
            let halves = values.map { Self.bfloat16Bits($0).littleEndian }
            try add(TensorDescriptor(name: name, dtype: .bf16, shape: shape), bytes: halves.withUnsafeBytes { Array($0) })
        default:
            throw SafetensorsWriteError(tensor: name, reason: "\(dtype.rawValue) is not a floating-point type realign writes")
        }
    }

    /// The bfloat16 nearest to `value` (ties to even; NaN stays a quiet NaN), as
    /// PyTorch rounds `tensor.to(torch.bfloat16)`.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        if value.isNaN { return 0x7FC0 }
        let bits = value.bitPattern
        let roundingBias = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }
}
