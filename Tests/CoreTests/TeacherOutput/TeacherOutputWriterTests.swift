import Foundation
import Testing
@testable import Core

@Suite struct TeacherOutputWriterTests {
    static let dataset = TeacherTargetsSamples.dataset(10)
    static let template = TeacherTargetsSamples.metadata(jobID: nil, sequenceIDs: [])

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("teacher-out-\(UUID().uuidString)").path
    }

    /// Writes the dataset delivered as jobs of `jobSizes`, added in `order`; returns the shard bytes.
    static func run(jobSizes: [Int], order: [Int], directory: String, runID: String) throws -> [[UInt8]] {
        var jobs: [(first: Int, targets: TeacherTargets)] = []
        var start = 0
        for (index, size) in jobSizes.enumerated() {
            jobs.append((start, try TeacherTargetsSamples.make(jobID: "\(runID)/\(index)", Array(dataset[start..<(start + size)]))))
            start += size
        }
        var writer = try TeacherOutputWriter(directory: directory, runID: runID, sequenceIDs: dataset.map(\.0), template: template,
                                             sequencesPerShard: 4, startedAt: Date(timeIntervalSince1970: 1_000))
        #expect(writer.shardCount == 3)
        for index in order { try writer.add(jobs[index].targets, firstSequence: jobs[index].first) }
        try writer.finish(finishedAt: Date(timeIntervalSince1970: 1_002.5))
        return try (0..<3).map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + TeacherOutputWriter.shardFileName($0)))) }
    }

    @Test func shardsDependOnlyOnTheData() throws {
        let directories = (0..<3).map { _ in Self.temporaryDirectory() }
        defer { for directory in directories { try? FileManager.default.removeItem(atPath: directory) } }
        let inOrder = try Self.run(jobSizes: [3, 3, 3, 1], order: [0, 1, 2, 3], directory: directories[0], runID: "runA")
        let reversed = try Self.run(jobSizes: [5, 5], order: [1, 0], directory: directories[1], runID: "runB")
        let singles = try Self.run(jobSizes: Array(repeating: 1, count: 10), order: [7, 2, 9, 0, 4, 1, 8, 3, 6, 5],
                                   directory: directories[2], runID: "runC")
        #expect(inOrder == reversed)
        #expect(inOrder == singles)
        for (index, range) in [0..<4, 4..<8, 8..<10].enumerated() {
            let path = directories[0] + "/" + TeacherOutputWriter.shardFileName(index)
            let expected = try TeacherTargetsSamples.make(jobID: nil, Array(Self.dataset[range]))
            #expect(try TeacherTargets(safetensors: SafetensorsFile(path: path)) == expected)
            #expect(inOrder[index] == expected.serialized())
        }
        let manifests = try directories.map { try TeacherOutputManifest.read(directory: $0) }
        #expect(manifests.map(\.runID) == ["runA", "runB", "runC"])
        #expect(manifests[0].shards == manifests[1].shards && manifests[1].shards == manifests[2].shards)
    }

    @Test func manifestContents() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shards = try Self.run(jobSizes: [10], order: [0], directory: directory, runID: "run42")
        let manifest = try TeacherOutputManifest.read(directory: directory)
        let tokens = Self.dataset.reduce(0) { $0 + $1.1.count }
        let rows = Self.dataset.reduce(0) { $0 + $1.1.count - $1.2 }
        #expect(manifest.runID == "run42")
        #expect(manifest.models == .init(ref: TeacherTargetsSamples.ref, aligned: TeacherTargetsSamples.aligned))
        #expect(manifest.tokenizerHash == "cc33")
        #expect(manifest.lambdaTags == ["0.5", "2.0"])
        #expect(manifest.topK == 2)
        #expect(manifest.sequencesPerShard == 4)
        #expect(manifest.counts == .init(sequences: 10, writtenSequences: 10, tokens: tokens, responseRows: rows, shards: 3))
        #expect(manifest.shards.map(\.file) == ["targets-00000.safetensors", "targets-00001.safetensors", "targets-00002.safetensors"])
        #expect(manifest.shards.map(\.firstSequence) == [0, 4, 8])
        #expect(manifest.shards.map(\.sequences) == [4, 4, 2])
        #expect(manifest.shards.map(\.sha256) == shards.map { SHA256.hex($0) })
        #expect(manifest.complete)
        #expect(manifest.timings == .init(startedAt: "1970-01-01T00:16:40.000Z", finishedAt: "1970-01-01T00:16:42.500Z", elapsedSeconds: 2.5))
        let text = try String(contentsOfFile: directory + "/manifest.json", encoding: .utf8)
        #expect(text.contains("\"run_id\" : \"run42\""))
        #expect(text.contains("\"content_hash\" : \"aa11\""))
    }

    @Test func progressAndRefusals() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var writer = try TeacherOutputWriter(directory: directory, runID: "r", sequenceIDs: Self.dataset.map(\.0), template: Self.template,
                                             sequencesPerShard: 4, startedAt: Date(timeIntervalSince1970: 0))
        #expect(try TeacherOutputManifest.read(directory: directory).complete == false)
        try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[2..<6])), firstSequence: 2)
        #expect(writer.manifest.shards.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory + "/targets-00000.safetensors"))
        try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[0..<2])), firstSequence: 0)
        #expect(writer.manifest.shards.count == 1)
        #expect(try TeacherOutputManifest.read(directory: directory).counts.writtenSequences == 4)
        #expect(throws: TeacherOutputError.self) { try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[1..<2])), firstSequence: 1) }
        #expect(throws: TeacherOutputError.self) { try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[5..<7])), firstSequence: 5) }
        #expect(throws: TeacherOutputError.self) { try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[6..<7])), firstSequence: 7) }
        #expect(throws: TeacherOutputError.self) {
            try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[6..<7]), lambdaTags: ["1.0"]), firstSequence: 6)
        }
        #expect(throws: TeacherOutputError.self) { try writer.finish(finishedAt: Date()) }
        try writer.add(TeacherTargetsSamples.make(Array(Self.dataset[6..<10])), firstSequence: 6)
        try writer.finish(finishedAt: Date(timeIntervalSince1970: 1))
        #expect(try TeacherOutputManifest.read(directory: directory).complete)
    }

    @Test func shardNames() {
        #expect(TeacherOutputWriter.shardFileName(0) == "targets-00000.safetensors")
        #expect(TeacherOutputWriter.shardFileName(123) == "targets-00123.safetensors")
        #expect(TeacherOutputWriter.shardFileName(123456) == "targets-123456.safetensors")
    }
}
