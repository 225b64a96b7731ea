import Foundation

/// Memory figures of a running process, from `/proc/<pid>/status` (Linux).
public enum ProcessMemory {
    /// What a process holds in memory now: in all (`VmRSS`), file-backed pages
    /// (`RssFile`: mapped files, the model's among them, and the code of the binary and
    /// its libraries) and anonymous memory (`RssAnon`: what it allocated).
    public struct Resident: Sendable, Equatable {
        public var total: Int
        public var file: Int
        public var anonymous: Int
    }

    /// Peak resident set size (`VmHWM`) in bytes.
    public static func peakResidentBytes(pid: Int32) throws(BenchmarkError) -> Int {
        try kilobytes("VmHWM", of: try status(pid: pid), pid: pid) * 1024
    }

    /// The resident set now, in bytes.
    public static func resident(pid: Int32) throws(BenchmarkError) -> Resident {
        let status = try status(pid: pid)
        return Resident(total: try kilobytes("VmRSS", of: status, pid: pid) * 1024,
                        file: try kilobytes("RssFile", of: status, pid: pid) * 1024,
                        anonymous: try kilobytes("RssAnon", of: status, pid: pid) * 1024)
    }

    private static func status(pid: Int32) throws(BenchmarkError) -> String {
        let path = "/proc/\(pid)/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BenchmarkError("cannot read \(path) (has process \(pid) exited?)")
        }
        return status
    }

    private static func kilobytes(_ field: String, of status: String, pid: Int32) throws(BenchmarkError) -> Int {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else {
            throw BenchmarkError("/proc/\(pid)/status has no \(field) line")
        }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 3, fields[2] == "kB", let kilobytes = Int(fields[1]) else {
            throw BenchmarkError("/proc/\(pid)/status: cannot read \"\(line)\" (expected \"\(field): <n> kB\")")
        }
        return kilobytes
    }
}
