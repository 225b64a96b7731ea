import Foundation

/// Memory figures of a running process, from `/proc/<pid>/status` (Linux).
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) in bytes.
    public static func peakResidentBytes(pid: Int32) throws(BenchmarkError) -> Int {
        let path = "/proc/\(pid)/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BenchmarkError("cannot read \(path) (has process \(pid) exited?)")
        }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else {
            throw BenchmarkError("\(path) has no VmHWM line")
        }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 3, fields[2] == "kB", let kilobytes = Int(fields[1]) else {
            throw BenchmarkError("\(path): cannot read \"\(line)\" (expected \"VmHWM: <n> kB\")")
        }
        return kilobytes * 1024
    }
}
