import Foundation

/// What a benchmark ran on, in one line: CPU model, the vector instructions the kernels
/// use and OpenBLAS's kernel set (CPUs of one model name differ in both), cores and memory.
public enum MachineDescription {
    public static var current: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let gibibytes = Int((Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)).rounded())
        let vectors = Int8ColumnProduct.isAvailable ? "AVX-512 VNNI" : "AVX2"
        return "\(model) (\(vectors), OpenBLAS \(OpenBLASKernels.current)), \(cores) cores, \(gibibytes) GiB"
    }
}
