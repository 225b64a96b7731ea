import Foundation

/// The on-disk record of a teacher run inside its output directory, so that an
/// interrupted run resumes where it stopped (`--resume`), even on a fresh broker:
/// `run.json` (run id and a fingerprint of everything that shapes the output) and
/// `parts/`, one file per finished job (the reply payload as received) or failed record.
public struct TeacherRunDirectory: Sendable {
    public struct Record: Codable, Sendable, Equatable {
        public var runID: String
        /// SHA-256 over the dataset records and the run's settings; a resume must match.
        public var fingerprint: String
        /// The same, setting by setting (the records by their hash), so that a refused
        /// resume can say what changed. Absent in run.json files of older versions.
        public var settings: [String: String]?

        public init(runID: String, fingerprint: String, settings: [String: String]?) {
            self.runID = runID
            self.fingerprint = fingerprint
            self.settings = settings
        }

        /// The settings whose values differ from `settings` (all of them when this
        /// record has none), each as "name (then, now)".
        public func changes(to settings: [String: String]) -> [String] {
            guard let kept = self.settings else { return [] }
            return Set(kept.keys).union(settings.keys).sorted().compactMap { name in
                let then = kept[name] ?? "", now = settings[name] ?? ""
                guard then != now else { return nil }
                return name == "data" ? "data (other records)" : "\(name) (\(then.isEmpty ? "unset" : then) in the run, \(now.isEmpty ? "unset" : now) now)"
            }
        }

        enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case fingerprint
            case settings
        }
    }

    /// A record that failed, as its error reply said.
    public struct Failure: Codable, Sendable, Equatable {
        public var sequence: Int
        public var code: String
        public var message: String
    }

    public let path: String
    var recordPath: String { path + "/run.json" }
    var partsPath: String { path + "/parts" }

    public init(path: String) {
        self.path = path
    }

    public func readRecord() -> Record? {
        guard let data = FileManager.default.contents(atPath: recordPath) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    /// Creates the directory for a new run. An earlier run's output there is an error
    /// unless `overwrite` (then it is removed); other files (worker logs) stay.
    public func create(_ record: Record, overwrite: Bool) throws {
        let manager = FileManager.default
        let contents = (try? manager.contentsOfDirectory(atPath: path)) ?? []
        let earlier = contents.filter { $0 == "run.json" || $0 == "parts" || $0 == TeacherOutputManifest.fileName || $0.hasPrefix("targets-") }
        if !earlier.isEmpty {
            guard overwrite else {
                throw TeacherRunError("\(path) holds an earlier run; use --resume to continue it, or --overwrite to replace it")
            }
            for name in earlier { try manager.removeItem(atPath: path + "/" + name) }
        }
        do {
            try manager.createDirectory(atPath: partsPath, withIntermediateDirectories: true)
        } catch {
            throw TeacherRunError("cannot use \(path) as the output directory: \(Self.obstacle(creating: partsPath) ?? "\(error)")")
        }
        try write(JSONEncoder().encode(record), to: recordPath)
    }

    /// What keeps `path` from being created, in words (Foundation's error is a dump of
    /// its user info): the nearest existing ancestor is a file, or cannot be written.
    static func obstacle(creating path: String) -> String? {
        var ancestor = path
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
            let parent = (ancestor as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != ancestor else { return nil }
            ancestor = parent
        }
        if !isDirectory.boolValue { return "\(ancestor) is a file, not a directory" }
        if !FileManager.default.isWritableFile(atPath: ancestor) { return "\(ancestor) is not writable" }
        return nil
    }

    func partFile(_ sequences: Range<Int>) -> String {
        String(format: "%@/seq-%08d-%08d.safetensors", partsPath, sequences.lowerBound, sequences.upperBound)
    }

    func failureFile(_ sequence: Int) -> String {
        String(format: "%@/seq-%08d.error.json", partsPath, sequence)
    }

    public func saveTargets(_ payload: [UInt8], sequences: Range<Int>) throws {
        try write(Data(payload), to: partFile(sequences))
    }

    public func saveFailure(_ failure: Failure) throws {
        try write(JSONEncoder().encode(failure), to: failureFile(failure.sequence))
    }

    /// The finished parts (by sequence range) and failed records found on disk.
    public func existingParts() -> (targets: [Range<Int>], failures: [Failure]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: partsPath)) ?? []
        var targets: [Range<Int>] = []
        var failures: [Failure] = []
        for name in names.sorted() {
            let fields = name.split(whereSeparator: { $0 == "-" || $0 == "." })
            if name.hasSuffix(".safetensors"), fields.count == 4, let start = Int(fields[1]), let end = Int(fields[2]), start < end {
                targets.append(start..<end)
            } else if name.hasSuffix(".error.json"),
                      let data = FileManager.default.contents(atPath: partsPath + "/" + name),
                      let failure = try? JSONDecoder().decode(Failure.self, from: data) {
                failures.append(failure)
            }
        }
        return (targets, failures)
    }

    public func loadTargets(_ sequences: Range<Int>) throws -> TeacherTargets {
        try TeacherTargets(safetensors: SafetensorsFile(path: partFile(sequences)))
    }

    private func write(_ data: Data, to file: String) throws {
        let temporary = file + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, file) == 0 else {
            throw TeacherRunError("cannot write \(file): \(String(cString: strerror(errno)))")
        }
    }
}

/// A teacher run that cannot go on, with the reason.
public struct TeacherRunError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
