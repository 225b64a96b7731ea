import Foundation

/// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to 0 at
/// `totalSteps`, as Hugging Face's `get_cosine_schedule_with_warmup`. Step `s` is the
/// number of optimiser steps already taken, so the first update uses `rate(atStep: 0)`.
/// Past `totalSteps` the rate stays 0 (Hugging Face's formula would climb again).
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Double, warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "warm-up \(warmupSteps) and total \(totalSteps) steps must not be negative")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// A warm-up of `ceil(ratio · totalSteps)` steps (Hugging Face's `warmup_ratio`;
    /// the authors used 0.1).
    public init(peak: Double, warmupRatio: Double, totalSteps: Int) {
        self.init(peak: peak, warmupSteps: Int((warmupRatio * Double(totalSteps)).rounded(.up)), totalSteps: totalSteps)
    }

    public func rate(atStep step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step) / Double(max(1, warmupSteps)) }
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        return peak * max(0, 0.5 * (1 + cos(Double.pi * progress)))
    }
}
