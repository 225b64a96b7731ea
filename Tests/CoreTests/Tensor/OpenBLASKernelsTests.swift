import Foundation
import Testing
@testable import Core

/// The executables never compute on OpenBLAS's generic kernels: with `OPENBLAS_VERBOSE=2`
/// OpenBLAS prints the kernel set it loads (`Core: NAME`) each time the process starts,
/// so a restart shows as a second line. `make test` sets `OPENBLAS_CORETYPE` for the
/// tests; a `realign` started without it chooses for itself.
@Suite struct OpenBLASKernelsTests {
    static func loadedKernels(coreType: String?) async throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openblas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = ["OPENBLAS_VERBOSE": "2"]
        environment["OPENBLAS_CORETYPE"] = coreType
        let outcome = try await RealignProcess.run(["--help"], outputPrefix: directory + "/help", environment: environment,
                                                   unsetting: coreType == nil ? ["OPENBLAS_CORETYPE"] : [])
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        #expect(outcome.stdout.contains("Usage: realign COMMAND"), "\(outcome.transcript)")
        return outcome.stderr.split(separator: "\n").compactMap { line in
            line.hasPrefix("Core: ") ? String(line.dropFirst("Core: ".count)) : nil
        }
    }

    @Test func theCoordinatorRunsKernelsSuitedToTheCPU() async throws {
        let loaded = try await Self.loadedKernels(coreType: nil)
        try #require(!loaded.isEmpty, "OpenBLAS printed no Core line")
        #expect(loaded.last != OpenBLASKernels.fallback)
        if loaded.count == 2 {
            #expect(loaded == [OpenBLASKernels.fallback, OpenBLASKernels.suited])
        } else {
            #expect(loaded.count == 1)
        }
    }

    @Test func aCoreTypeTheUserSetIsKept() async throws {
        let loaded = try await Self.loadedKernels(coreType: "Haswell")
        #expect(loaded == ["Haswell"])
    }

    @Test func avx512CPUsGetTheSkylakeXKernels() {
        let hasAVX512 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512bw ") ?? false
        #expect(OpenBLASKernels.suited == (hasAVX512 ? "SkylakeX" : "Haswell"))
    }
}
