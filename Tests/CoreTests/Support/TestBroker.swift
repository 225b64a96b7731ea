import Foundation
import Testing
@testable import Core

/// The broker an end-to-end test runs against, chosen by `REALIGN_TEST_BROKER`:
/// `embedded` (default: librdkafka's mock cluster in this process) or `tansu` (a Tansu
/// process, an independent Kafka implementation; its binary at `REALIGN_TANSU` or
/// `.tools/tansu/tansu` from scripts/fetch-tansu.sh, and the tests run with the newer
/// librdkafka it needs first on `LD_LIBRARY_PATH`, as `make test` does).
final class TestBroker {
    enum Kind: String { case embedded, tansu }

    static var selected: Kind {
        Kind(rawValue: ProcessInfo.processInfo.environment["REALIGN_TEST_BROKER"] ?? "embedded") ?? .embedded
    }

    let kind: Kind
    let bootstrapServers: String
    private let embedded: EmbeddedBroker?
    private let tansu: Process?
    private let tansuBinary: String

    init(_ kind: Kind = TestBroker.selected, logDirectory: String) throws {
        self.kind = kind
        tansuBinary = Self.tansuBinary
        switch kind {
        case .embedded:
            let broker = try EmbeddedBroker()
            embedded = broker
            tansu = nil
            bootstrapServers = broker.bootstrapServers
        case .tansu:
            try #require(FileManager.default.isExecutableFile(atPath: tansuBinary),
                         "no Tansu binary at \(tansuBinary): run scripts/fetch-tansu.sh, or set REALIGN_TANSU")
            let port = try Self.freePort()
            let url = "tcp://127.0.0.1:\(port)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tansuBinary)
            process.arguments = ["broker", "--listener-url", url, "--advertised-listener-url", url,
                                 "--storage-engine", "memory://tansu/"]
            let log = logDirectory + "/tansu.log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardError = process.standardOutput
            try process.run()
            embedded = nil
            tansu = process
            bootstrapServers = "127.0.0.1:\(port)"
            try Self.waitUntilListening(port: port, within: .seconds(20))
        }
    }

    /// Tansu keeps running after SIGTERM while it has (even idle) connections; its
    /// storage is memory, so after a short grace it is killed.
    deinit {
        guard let tansu, tansu.isRunning else { return }
        tansu.terminate()
        let deadline = ContinuousClock.now + .seconds(3)
        while tansu.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if tansu.isRunning { kill(tansu.processIdentifier, SIGKILL) }
        tansu.waitUntilExit()
    }

    /// Client settings for this broker with group timings that notice a dead member
    /// within seconds (real brokers refuse session timeouts under 6 s).
    var config: KafkaConfig {
        KafkaConfig(bootstrapServers: bootstrapServers).withDefaults(KafkaConfig.fastTestTimings)
    }

    func createTopics(_ names: [String], partitions: Int) throws {
        if let embedded {
            try embedded.createTopics(names, partitions: partitions, replicationFactor: 1)
            return
        }
        for name in names {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tansuBinary)
            process.arguments = ["topic", "create", "--broker", "tcp://\(bootstrapServers)", "--partitions", String(partitions), name]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "tansu topic create \(name) exited \(process.terminationStatus)")
        }
    }

    private static var tansuBinary: String {
        if let path = ProcessInfo.processInfo.environment["REALIGN_TANSU"] { return path }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(".tools/tansu/tansu").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return ".tools/tansu/tansu"
    }

    /// A port the kernel just handed out and that nothing listens on now.
    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0, "socket() failed")
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        try #require(bound, "cannot bind a local port")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func waitUntilListening(port: Int, within limit: Duration) throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(socket)
            if connected { return }
            usleep(50_000)
        }
        throw TimeLimitExceeded(what: "Tansu to listen on port \(port)", limit: limit, progress: "not listening")
    }
}
