import Foundation

/// Where tests find the shared fixtures and the SmolLM2 model file: the environment
/// (`REALIGN_FIXTURES`, `REALIGN_MODEL`, set by the Makefile) or, failing that, the
/// nearest `shared/fixtures` and `models/` found walking up from this source file.
enum TestPaths {
    static var fixtures: String {
        if let path = ProcessInfo.processInfo.environment["REALIGN_FIXTURES"] { return path }
        return findUpward("shared/fixtures") ?? "../shared/fixtures"
    }

    static var smolLM2: String {
        if let path = ProcessInfo.processInfo.environment["REALIGN_MODEL"] { return path }
        return findUpward("models/SmolLM2-135M-Instruct.Q4_1.gguf") ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    static func fixture(_ relative: String) -> String {
        fixtures + "/" + relative
    }

    private static func findUpward(_ relative: String) -> String? {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
