import Foundation

/// A one-line progress bar with rate and ETA, redrawn on stderr - only when stderr is a
/// terminal, so logs and CI output stay clean.
public final class ProgressBar: @unchecked Sendable {
    // Mutable state guarded by `lock`: updates may come from several threads.
    private let lock = NSLock()
    private let total: Int
    private let unit: String
    private let rateUnit: String
    private let enabled: Bool
    private let start = Date()
    private var done = 0
    private var rateCount = 0
    private var lastDraw = Date.distantPast
    private var status = ""

    /// - Parameters:
    ///   - total: the number of `unit`s the run will do.
    ///   - rateUnit: what the rate counts (tokens, for a teacher run).
    public init(total: Int, unit: String, rateUnit: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.unit = unit
        self.rateUnit = rateUnit
        self.enabled = enabled
    }

    /// Records `count` more units done and `rateCount` more rate units; `status` (a
    /// training loss, say) is shown after the ETA until the next one replaces it.
    public func advance(by count: Int, rateCount: Int = 0, status: String? = nil) {
        lock.withLock {
            done += count
            self.rateCount += rateCount
            if let status { self.status = status }
            guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
            lastDraw = Date()
            draw()
        }
    }

    public func finish() {
        lock.withLock {
            guard enabled else { return }
            draw()
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func draw() {
        let elapsed = max(Date().timeIntervalSince(start), 1e-3)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 28
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let rate = Double(rateCount) / elapsed
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let line = String(format: "\r[%@] %d/%d %@  %.0f %@/s  ETA %@ %@", bar, done, total, unit, rate, rateUnit, Self.clock(eta), status)
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600
            ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
            : String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
