import Core
import Foundation

/// The models an embedded fleet must load, from a command's model arguments: every
/// model needs a path, a name is given one path, the path must exist (a GGUF file with
/// a whole header and tensors) and the workers must accept `REALIGN_WEIGHTS` - checked
/// before the command starts a broker and workers or claims an output directory.
enum FleetModels {
    static func local(_ arguments: [ModelArgument], command: String) throws(UsageError) -> [(name: String, path: String)] {
        var models: [(name: String, path: String)] = []
        for argument in arguments {
            if let path = argument.path {
                if let known = models.first(where: { $0.name == argument.name }), known.path != path {
                    throw UsageError(command: command, message: "model name \(argument.name) is given two paths")
                }
                if !models.contains(where: { $0.name == argument.name }) { models.append((argument.name, path)) }
            }
        }
        for argument in arguments where !models.contains(where: { $0.name == argument.name }) {
            throw UsageError(command: command, message: "model \(argument.name) has no path: the embedded fleet needs NAME=PATH (or use --brokers with workers that serve it)")
        }
        for model in models {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: model.path, isDirectory: &isDirectory) else {
                throw UsageError(command: command, message: "model \(model.name): no file or directory at \(model.path)")
            }
            // A GGUF file's header and tensor extents (a truncated download, say) are
            // checked here, in milliseconds, rather than by every worker after it started.
            if !isDirectory.boolValue {
                do {
                    _ = try GGUFFile(path: model.path)
                } catch {
                    throw UsageError(command: command, message: "model \(model.name): \(error)")
                }
            }
        }
        // The embedded workers inherit REALIGN_WEIGHTS: a value they refuse is this
        // command's usage error, found before any of them starts.
        do {
            _ = try WeightPrecision.inference(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw UsageError(command: command, message: "\(error)")
        }
        return models
    }
}
