import Foundation

/// The ids cancelled on the control topic in the last `retention`, so a request whose
/// cancel arrived before the request itself is answered `cancelled` without compute.
struct RecentCancels {
    static let retention: TimeInterval = 600
    private var cancelledAt: [String: Date] = [:]

    mutating func remember(_ id: String, at now: Date = Date()) {
        cancelledAt = cancelledAt.filter { now.timeIntervalSince($0.value) < Self.retention }
        cancelledAt[id] = now
    }

    func contains(_ id: String, at now: Date = Date()) -> Bool {
        guard let time = cancelledAt[id] else { return false }
        return now.timeIntervalSince(time) < Self.retention
    }
}
