/// Clipping by global norm, as `torch.nn.utils.clip_grad_norm_`: when the norm of all
/// gradients together exceeds `maxNorm`, every gradient is scaled by
/// `maxNorm / (norm + 1e-6)`.
public enum GradientClipping {
    /// Clips in place and returns the norm before clipping.
    @discardableResult
    public static func clipByGlobalNorm(_ gradients: inout ModelGradients, maxNorm: Double) -> Double {
        let norm = gradients.globalNorm
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 { gradients.scale(by: Float(factor)) }
        return norm
    }
}
