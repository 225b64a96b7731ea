import Foundation

/// Checkpoints of a training run: `DIR/checkpoint-<step>/` (and `DIR/final/`), each a
/// Hugging Face model directory (`HuggingFaceModelFiles`, tokenizer files) plus the
/// training state - `optimizer.safetensors` (AdamW's `exp_avg/<name>` and
/// `exp_avg_sq/<name>` moments, F32, with the step count in the metadata) and
/// `trainer_state.json` (steps taken, data cursor, and the run's description, which
/// `--resume` compares). A directory is written under a temporary name and renamed
/// when complete, so the last checkpoint is never half-written.
public enum TrainingCheckpoint {
    public static let stateFile = "trainer_state.json"
    public static let optimizerFile = "optimizer.safetensors"
    public static let prefix = "checkpoint-"

    public static func directoryName(step: Int) -> String { prefix + String(step) }

    /// What `trainer_state.json` holds.
    public struct State: Sendable, Equatable {
        public var step: Int
        public var cursor: DataCursor
        /// The run's description: settings, data fingerprint, method (as the caller built it).
        public var run: JSONValue

        public init(step: Int, cursor: DataCursor, run: JSONValue) {
            self.step = step
            self.cursor = cursor
            self.run = run
        }

        var json: JSONValue {
            .object([
                JSONMember("step", .integer(Int64(step))),
                JSONMember("epoch", .integer(Int64(cursor.epoch))),
                JSONMember("position", .integer(Int64(cursor.position))),
                JSONMember("run", run),
            ])
        }
    }

    /// Writes the model files of `weights` into `directory` (created; replaced if it exists).
    public static func writeModel(_ weights: ModelWeights, model: CheckpointModel, to directory: String) throws(CheckpointError) {
        try writeDirectory(directory) { (temporary) throws(CheckpointError) in
            try writeModelFiles(weights, model: model, into: temporary)
        }
    }

    /// Writes the trainer's weights and its state into `directory`.
    public static func write(_ trainer: Trainer, model: CheckpointModel, run: JSONValue, to directory: String) throws(CheckpointError) {
        try writeDirectory(directory) { (temporary) throws(CheckpointError) in
            try writeModelFiles(trainer.weights, model: model, into: temporary)
            var optimizer = SafetensorsWriter(metadata: ["format": "pt"])
            switch trainer.optimizer {
            case .adamw(let adamW):
                optimizer.metadata["optimizer"] = OptimizerKind.adamw.rawValue
                optimizer.metadata["step"] = String(adamW.stepCount)
                for (name, values) in adamW.firstMoments.sorted(by: { $0.key < $1.key }) {
                    try! optimizer.add("exp_avg/" + name, shape: [values.count], float32: values)
                }
                for (name, values) in adamW.secondMoments.sorted(by: { $0.key < $1.key }) {
                    try! optimizer.add("exp_avg_sq/" + name, shape: [values.count], float32: values)
                }
            case .sgd:
                optimizer.metadata["optimizer"] = OptimizerKind.sgd.rawValue
            }
            try write(optimizer, to: temporary + "/" + optimizerFile)
            try write(State(step: trainer.step, cursor: trainer.cursor, run: run).json.jsonBytes, to: temporary + "/" + stateFile)
        }
    }

    /// The complete checkpoint of `outputDirectory` with the most steps, if any.
    public static func latest(in outputDirectory: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        let steps = names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix), let step = Int(name.dropFirst(prefix.count)),
                  FileManager.default.fileExists(atPath: outputDirectory + "/" + name + "/" + stateFile) else { return nil }
            return step
        }
        return steps.max().map { outputDirectory + "/" + directoryName(step: $0) }
    }

    /// The state and optimiser of a checkpoint, for `settings` (AdamW's hyper-parameters
    /// come from the run, the moments from the file).
    public static func readState(_ directory: String, settings: TrainingSettings) throws(CheckpointError) -> (state: State, optimizer: Optimizer) {
        let statePath = directory + "/" + stateFile
        guard let data = FileManager.default.contents(atPath: statePath) else {
            throw CheckpointError(path: statePath, problem: "cannot read the trainer state")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse([UInt8](data))
        } catch {
            throw CheckpointError(path: statePath, problem: "not JSON: \(error)")
        }
        guard let step = json["step"]?.integerValue, let epoch = json["epoch"]?.integerValue,
              let position = json["position"]?.integerValue, let run = json["run"], step >= 0, epoch >= 0, position >= 0 else {
            throw CheckpointError(path: statePath, problem: "needs non-negative integers step, epoch, position and a run object")
        }
        let state = State(step: Int(step), cursor: DataCursor(epoch: Int(epoch), position: Int(position)), run: run)

        let optimizerPath = directory + "/" + optimizerFile
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: optimizerPath)
        } catch {
            throw CheckpointError(path: optimizerPath, problem: error.problem)
        }
        guard file.metadata["optimizer"] == settings.optimizer.rawValue else {
            throw CheckpointError(path: optimizerPath, problem: "holds the state of optimizer \(file.metadata["optimizer"] ?? "(none)"), the run uses \(settings.optimizer.rawValue)")
        }
        switch settings.optimizer {
        case .sgd:
            return (state, .sgd)
        case .adamw:
            guard let stepCount = file.metadata["step"].flatMap(Int.init), stepCount >= 0 else {
                throw CheckpointError(path: optimizerPath, problem: "metadata step is missing or not a count")
            }
            var first: [String: [Float]] = [:], second: [String: [Float]] = [:]
            do {
                for name in file.tensorNames {
                    if name.hasPrefix("exp_avg/") {
                        first[String(name.dropFirst("exp_avg/".count))] = try file.floats(name)
                    } else if name.hasPrefix("exp_avg_sq/") {
                        second[String(name.dropFirst("exp_avg_sq/".count))] = try file.floats(name)
                    } else {
                        throw CheckpointError(path: optimizerPath, problem: "unexpected tensor \(name)")
                    }
                }
            } catch let error as FileError {
                throw CheckpointError(path: optimizerPath, problem: error.problem)
            } catch {
                throw error as! CheckpointError
            }
            guard Set(first.keys) == Set(second.keys) else {
                throw CheckpointError(path: optimizerPath, problem: "first and second moments name different parameters")
            }
            return (state, .adamw(AdamW(settings: settings.adamW, stepCount: stepCount, firstMoments: first, secondMoments: second)))
        }
    }

    private static func writeModelFiles(_ weights: ModelWeights, model: CheckpointModel, into directory: String) throws(CheckpointError) {
        var config = HuggingFaceModelFiles.configJSON(weights.config, bosTokenID: model.bosTokenID, eosTokenIDs: model.eosTokenIDs)
        if let baseLayers = model.inraBaseLayers, case .object(let members) = config {
            config = .object(members + [InRaExpansion.configMember(baseLayers: baseLayers)])
        }
        try write(config.jsonBytes, to: directory + "/config.json")
        let generation = HuggingFaceModelFiles.generationConfigJSON(bosTokenID: model.bosTokenID, eosTokenIDs: model.eosTokenIDs)
        try write(generation.jsonBytes, to: directory + "/generation_config.json")
        try write(HuggingFaceModelFiles.weightsWriter(weights), to: directory + "/model.safetensors")
        for (name, bytes) in model.tokenizer?.files ?? [:] {
            try write(bytes, to: directory + "/" + name)
        }
    }

    private static func writeDirectory(_ directory: String, _ body: (String) throws(CheckpointError) -> Void) throws(CheckpointError) {
        let manager = FileManager.default
        let temporary = directory + ".partial"
        do {
            if manager.fileExists(atPath: temporary) { try manager.removeItem(atPath: temporary) }
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(path: temporary, problem: "cannot create the directory: \(error.localizedDescription)")
        }
        try body(temporary)
        do {
            if manager.fileExists(atPath: directory) { try manager.removeItem(atPath: directory) }
            try manager.moveItem(atPath: temporary, toPath: directory)
        } catch {
            throw CheckpointError(path: directory, problem: "cannot move the finished checkpoint into place: \(error.localizedDescription)")
        }
    }

    private static func write(_ tensors: SafetensorsWriter, to path: String) throws(CheckpointError) {
        do {
            try tensors.write(toFile: path)
        } catch {
            throw CheckpointError(path: path, problem: error.reason)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CheckpointError(path: path, problem: "cannot write the file")
        }
    }
}
