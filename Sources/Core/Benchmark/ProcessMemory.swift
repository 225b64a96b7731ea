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

    /// The bytes of file `path` resident in the process's mappings now (the `Rss` of
    /// every mapping of that file in `/proc/<pid>/smaps`).
    public static func mappedResidentBytes(pid: Int32, path: String) throws(BenchmarkError) -> Int {
        let smapsPath = "/proc/\(pid)/smaps"
        guard let smaps = procFile(smapsPath) else {
            throw BenchmarkError("cannot read \(smapsPath) (has process \(pid) exited?)")
        }
        let absolute = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var inFile = false
        var kilobytes = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5 {
                // A mapping's header: address range, permissions, offset, device, inode, path.
                inFile = fields.count >= 6 && fields[5...].joined(separator: " ") == absolute
            } else if inFile, fields.count == 3, fields[0] == "Rss:", let value = Int(fields[1]) {
                kilobytes += value
            }
        }
        return kilobytes * 1024
    }

    private static func status(pid: Int32) throws(BenchmarkError) -> String {
        let path = "/proc/\(pid)/status"
        guard let status = procFile(path) else {
            throw BenchmarkError("cannot read \(path) (has process \(pid) exited?)")
        }
        return status
    }

    /// A `/proc` file's whole text. Read to its end: these files have no size, and
    /// Foundation's `String(contentsOfFile:)` returns only the first read's bytes.
    private static func procFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
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
