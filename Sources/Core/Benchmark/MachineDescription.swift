import Foundation

/// What a benchmark ran on, in one line: CPU model, cores and memory.
public enum MachineDescription {
    public static var current: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let gibibytes = Int((Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)).rounded())
        return "\(model), \(cores) cores, \(gibibytes) GiB"
    }
}
