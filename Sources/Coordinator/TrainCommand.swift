import Core
import Foundation

/// `realign train`: TrRa students, SFT and InRa adapters, trained in this process.
enum TrainCommand {
    static let spec = CommandSpec(
        name: "train",
        summary: "train a TrRa student (or an SFT model / InRa adapter) and write Hugging Face checkpoints",
        usage: """
        realign train --method trra|sft|inra --student PATH \
        (--teacher DIR --lambda L | --teacher online --ref PATH --aligned PATH [--aligned-system TEXT] --lambda L) \
        [--data FILE] --out DIR [options]
        """,
        options: [
            .init("method", short: "m", value: "trra|sft|inra", help: "trra: KL to the fused teacher, all weights; sft: cross-entropy on responses, all weights; inra: cross-entropy, layer 0 only (the adapter of an expanded model; a model that is not expanded gets the identity adapter first)."),
            .init("student", short: "s", value: "PATH", help: "The model to train (GGUF file or Hugging Face directory); for trra normally the ref model."),
            .init("teacher", value: "DIR|online", help: "A teacher output directory (realign teacher --out), or online: compute the teacher from --ref and --aligned at each step."),
            .init("lambda", short: "l", value: "L", help: "The teacher's fusion weight (its lambda_<tag> targets in DIR)."),
            .init("ref", value: "PATH", help: "Online teacher: the reference model."),
            .init("aligned", value: "PATH", help: "Online teacher: the aligned model (may be the ref model's path)."),
            .init("aligned-system", value: "TEXT", help: "Online teacher: the system message of the aligned view."),
            .init("data", short: "d", value: "FILE", help: "Dataset (the formats of realign teacher); required unless the sequences come from --teacher DIR."),
            .init("out", short: "o", value: "DIR", help: "Output directory: checkpoint-<step>/, final/, train_log.jsonl."),
            .init("kl", value: "forward|reverse", help: "KL direction: forward KL(teacher||student) (the authors' code, default) or reverse KL(student||teacher) (the paper)."),
            .init("steps", value: "N", help: "Optimiser steps (default: one epoch)."),
            .init("lr", value: "X", help: "Peak learning rate (default 2e-5, the authors'; a short run on a small model needs more, e.g. 1e-4..5e-4)."),
            .init("optimizer", value: "adamw|sgd", help: "AdamW (default) or plain SGD (p -= lr * grad; no schedule or clipping unless asked for)."),
            .init("warmup-ratio", value: "R", help: "Linear warm-up over this fraction of the steps, then cosine decay (default 0.1 with adamw; with sgd the rate is constant unless given)."),
            .init("weight-decay", value: "X", help: "AdamW decoupled weight decay, not on biases and norms (default 0)."),
            .init("batch-tokens", value: "N", help: "Token budget of a micro-batch (default 2048); a longer sequence forms its own."),
            .init("grad-accum", value: "N", help: "Micro-batches per optimiser step (default 1)."),
            .init("clip", value: "N", help: "Clip the global gradient norm to N (default 1.0 with adamw, none with sgd; 0 = none)."),
            .init("save-every", value: "N", help: "Write checkpoint-<step>/ every N steps (default: only final/)."),
            .init("seed", value: "N", help: "Seed of the batch order (default 0)."),
            .init("no-shuffle", help: "Visit the micro-batches in data order every epoch."),
            .init("resume", help: "Continue from the last checkpoint in --out (with the same settings)."),
            .init("overwrite", help: "Replace an earlier run in --out."),
            .init("threads", short: "t", value: "N", help: "Compute threads (default: all cores)."),
            .init("limit", short: "n", value: "N", help: "Only the first N sequences."),
        ],
        epilog: """
        The loss averages over the response tokens of all micro-batches of a step. With \
        --teacher DIR the top-k rows keep their log-probabilities and the mass outside \
        them is spread uniformly over the rest of the vocabulary. Progress goes to stderr \
        (a bar on a terminal); one JSON line per step goes to stdout when stderr is not a \
        terminal, and always to DIR/train_log.jsonl. Exit status: 0 done, 1 failed, \
        2 usage error, 130 interrupted (a checkpoint is written; continue with --resume).
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            let setup = try TrainingSetup(arguments)
            return try setup.run()
        }
    }
}

/// A parsed and loaded training run.
private struct TrainingSetup {
    enum Method: String, CaseIterable {
        case trra, sft, inra
    }

    let method: Method
    let outputDirectory: String
    let studentFile: ModelFile
    let sequences: [TrainingSequence]
    let objective: TrainingObjective
    let settings: TrainingSettings
    let plan: BatchPlan
    let saveEvery: Int?
    let resume: Bool
    let description: JSONValue

    init(_ arguments: ParsedArguments) throws {
        func usage(_ message: String) -> UsageError { UsageError(command: "train", message: message) }
        func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(UsageError) -> T? where T.RawValue == String {
            guard let text = arguments.string(name) else { return nil }
            guard let value = T(rawValue: text) else {
                throw usage("--\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)")
            }
            return value
        }
        guard let method = try choice("method", Method.self) else { throw usage("--method is required (trra, sft or inra)") }
        self.method = method
        let studentPath = try arguments.required("student")
        outputDirectory = try arguments.required("out")
        let teacher = arguments.string("teacher")
        let online = teacher == "online"
        let lambda = try arguments.double("lambda")
        let dataPath = arguments.string("data")
        let direction = try choice("kl", KLDirection.self) ?? .forward
        let limit = try arguments.int("limit", in: 1...Int.max)
        resume = arguments.has("resume")
        if resume && arguments.has("overwrite") { throw usage("--resume and --overwrite exclude each other") }
        for name in ["ref", "aligned", "aligned-system"] where arguments.string(name) != nil && !online {
            throw usage("--\(name) belongs to --teacher online")
        }
        switch method {
        case .trra:
            guard let teacher else { throw usage("--method trra needs --teacher DIR or --teacher online") }
            guard lambda != nil else { throw usage("--method trra needs --lambda") }
            if online {
                guard arguments.string("ref") != nil, arguments.string("aligned") != nil else {
                    throw usage("--teacher online needs --ref and --aligned")
                }
                guard dataPath != nil else { throw usage("--teacher online needs --data") }
            } else if !FileManager.default.fileExists(atPath: teacher + "/" + TeacherOutputManifest.fileName) {
                throw usage("--teacher \(teacher) is neither online nor a teacher output directory (no manifest.json)")
            }
        case .sft, .inra:
            if online { throw usage("--method \(method.rawValue) trains on the responses; --teacher online does not apply") }
            guard teacher != nil || dataPath != nil else { throw usage("--method \(method.rawValue) needs --data (or --teacher DIR for its sequences)") }
            if lambda != nil { throw usage("--lambda applies to --method trra") }
        }
        if let threads = try arguments.int("threads", in: 1...1024) { ComputeThreads.set(threads) } else {
            ComputeThreads.set(ProcessInfo.processInfo.activeProcessorCount)
        }

        // Settings.
        let optimizer = try choice("optimizer", OptimizerKind.self) ?? .adamw
        let learningRate = try arguments.double("lr") ?? 2e-5
        guard learningRate > 0 else { throw usage("--lr must be positive, got \(learningRate)") }
        let warmupRatio = try arguments.double("warmup-ratio") ?? (optimizer == .adamw ? 0.1 : nil)
        if let warmupRatio, !(0...1).contains(warmupRatio) { throw usage("--warmup-ratio must be in [0, 1], got \(warmupRatio)") }
        let clip = try arguments.double("clip") ?? (optimizer == .adamw ? 1.0 : 0)
        guard clip >= 0 else { throw usage("--clip must not be negative, got \(clip)") }
        let weightDecay = try arguments.double("weight-decay") ?? 0
        if weightDecay != 0 && optimizer == .sgd { throw usage("--weight-decay applies to adamw") }
        let batchTokens = try arguments.int("batch-tokens", in: 1...10_000_000) ?? 2048
        let gradientAccumulation = try arguments.int("grad-accum", in: 1...100_000) ?? 1
        saveEvery = try arguments.int("save-every", in: 1...Int.max)
        let seed = try arguments.int("seed", in: 0...Int.max) ?? 0
        let shuffles = !arguments.has("no-shuffle")

        // Models and data. An InRa run on a model that is not expanded trains an
        // adapter for it: the identity adapter goes in front of its layers.
        var loadedStudent = try ModelLoader.load(path: studentPath)
        if method == .inra {
            switch try InRaModel.declaredAdapterLayer(directory: studentPath) {
            case nil:
                loadedStudent.weights = InRaExpansion.expandedWeights(loadedStudent.weights)
                CommandRunner.printError("realign train: \(studentPath) is not an expanded model; training an adapter in front of its \(loadedStudent.weights.config.layerCount - 1) layers")
            case InRaModel.adapterLayer?:
                break
            case let layer?:
                throw usage("\(studentPath) declares its adapter at layer \(layer); only \(InRaModel.adapterLayer) is supported")
            }
        }
        studentFile = loadedStudent
        let studentServed = studentFile.tokenizer != nil || studentFile.huggingFaceTokenizerJSON != nil
            ? try ServedModel(name: "student", file: studentFile) : nil
        let maxLength = studentFile.weights.config.contextLength
        if let teacher, !online {
            let tag = method == .trra ? lambda.map(LambdaTag.tag(for:)) : nil
            if dataPath != nil { CommandRunner.printError("realign train: the sequences come from --teacher \(teacher); --data is not read") }
            sequences = try TrainingData.teacherOutput(directory: teacher, lambdaTag: tag, limit: limit)
            if let studentServed {
                let manifest = try TeacherOutputManifest.read(directory: teacher)
                guard manifest.tokenizerHash == studentServed.tokenizer.contentSHA256 else {
                    throw usage("the student's tokenizer (\(studentServed.tokenizer.contentSHA256.prefix(12))) is not the teacher's (\(manifest.tokenizerHash.prefix(12)))")
                }
            }
            objective = method == .trra ? .distillTopK(direction: direction) : .crossEntropy
        } else {
            let path = dataPath!
            let records = try DatasetReader.read(path: path, limit: limit)
            if online {
                let refPath = arguments.string("ref")!, alignedPath = arguments.string("aligned")!
                let student = studentFile
                let refFile = refPath == studentPath ? student : try ModelLoader.load(path: refPath)
                let alignedFile = alignedPath == refPath ? refFile
                    : alignedPath == studentPath ? student : try ModelLoader.load(path: alignedPath)
                for (path, file) in [(refPath, refFile), (alignedPath, alignedFile)] where file.weights.config.vocabSize != studentFile.weights.config.vocabSize {
                    throw usage("model \(path) has a vocabulary of \(file.weights.config.vocabSize), the student \(studentFile.weights.config.vocabSize)")
                }
                // Text records are rendered with the models' templates; pre-tokenized ones need no tokenizer.
                var renderers: (ref: SequenceRenderer, aligned: SequenceRenderer)?
                if records.contains(where: \.isText) {
                    let ref = try ServedModel(name: "ref", file: refFile)
                    let aligned = alignedPath == refPath ? ref : try ServedModel(name: "aligned", file: alignedFile)
                    for model in [ref, aligned] {
                        if let studentServed, model.tokenizer.contentSHA256 != studentServed.tokenizer.contentSHA256 {
                            throw usage("model \(model.path) has another tokenizer than the student")
                        }
                    }
                    renderers = (SequenceRenderer(model: ref), SequenceRenderer(model: aligned))
                }
                sequences = try TrainingData.rendered(
                    records, source: path, student: renderers?.ref, aligned: renderers?.aligned,
                    alignedSystem: arguments.string("aligned-system"),
                    maxLength: min(maxLength, refFile.weights.config.contextLength, alignedFile.weights.config.contextLength))
                let refTransformer = Transformer(weights: refFile.weights)
                let alignedTransformer = alignedPath == refPath ? refTransformer : Transformer(weights: alignedFile.weights)
                objective = .distillOnline(ref: refTransformer, aligned: alignedTransformer, lambda: lambda!, direction: direction)
            } else {
                sequences = try TrainingData.rendered(records, source: path, student: studentServed.map(SequenceRenderer.init),
                                                      aligned: nil, alignedSystem: nil, maxLength: maxLength)
                objective = .crossEntropy
            }
        }
        plan = BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: batchTokens, seed: UInt64(seed), shuffles: shuffles)
        let epochSteps = (plan.microBatches.count + gradientAccumulation - 1) / gradientAccumulation
        let steps = try arguments.int("steps", in: 1...Int.max) ?? epochSteps
        settings = TrainingSettings(
            optimizer: optimizer, learningRate: learningRate, warmupRatio: warmupRatio, totalSteps: steps,
            gradientAccumulation: gradientAccumulation, clipNorm: clip > 0 ? clip : nil,
            adamW: AdamW.Settings(weightDecay: weightDecay))

        description = .object([
            JSONMember("method", .string(method.rawValue)),
            JSONMember("student", .string(studentPath)),
            JSONMember("student_sha256", .string(studentFile.contentSHA256)),
            JSONMember("teacher", teacher.map(JSONValue.string) ?? .null),
            JSONMember("lambda", lambda.map(JSONValue.double) ?? .null),
            JSONMember("ref", arguments.string("ref").map(JSONValue.string) ?? .null),
            JSONMember("aligned", arguments.string("aligned").map(JSONValue.string) ?? .null),
            JSONMember("aligned_system", arguments.string("aligned-system").map(JSONValue.string) ?? .null),
            JSONMember("kl", .string(direction.rawValue)),
            JSONMember("data_sha256", .string(TrainingData.fingerprint(sequences))),
            JSONMember("sequences", .integer(Int64(sequences.count))),
            JSONMember("optimizer", .string(optimizer.rawValue)),
            JSONMember("lr", .double(learningRate)),
            JSONMember("warmup_ratio", warmupRatio.map(JSONValue.double) ?? .null),
            JSONMember("weight_decay", .double(weightDecay)),
            JSONMember("steps", .integer(Int64(steps))),
            JSONMember("batch_tokens", .integer(Int64(batchTokens))),
            JSONMember("grad_accum", .integer(Int64(gradientAccumulation))),
            JSONMember("clip", clip > 0 ? .double(clip) : .null),
            JSONMember("seed", .integer(Int64(seed))),
            JSONMember("shuffle", .bool(shuffles)),
        ])
        if !resume { try Self.prepareFreshDirectory(outputDirectory, overwrite: arguments.has("overwrite")) }
    }

    private static func prepareFreshDirectory(_ directory: String, overwrite: Bool) throws {
        let manager = FileManager.default
        let earlier = ((try? manager.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix(TrainingCheckpoint.prefix) || $0 == "final" || $0 == "train_log.jsonl" }
        if !earlier.isEmpty {
            guard overwrite else {
                throw UsageError(command: "train", message: "\(directory) holds an earlier run (\(earlier.sorted().joined(separator: ", "))); give --resume or --overwrite")
            }
            for name in earlier { try manager.removeItem(atPath: directory + "/" + name) }
        }
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func run() throws -> ExitCode {
        let model = try CheckpointModel(student: studentFile,
                                        inraBaseLayers: method == .inra ? studentFile.weights.config.layerCount - 1 : nil)
        let trainable: TrainableParameters = method == .inra
            ? .only(layers: [0]) : .all(layerCount: studentFile.weights.config.layerCount)
        var trainer: Trainer
        if resume {
            guard let checkpoint = TrainingCheckpoint.latest(in: outputDirectory) else {
                throw UsageError(command: "train", message: "--resume: no checkpoint in \(outputDirectory)")
            }
            let (state, optimizer) = try TrainingCheckpoint.readState(checkpoint, settings: settings)
            guard state.run == description else {
                throw UsageError(command: "train", message: "--resume: \(checkpoint) was written by a run with other settings: \(Self.differences(state.run, description))")
            }
            let weights = try ModelLoader.loadHuggingFace(directory: checkpoint).weights
            trainer = try Trainer(weights: weights, sequences: sequences, plan: plan, objective: objective, trainable: trainable,
                                  settings: settings, optimizer: optimizer, step: state.step, cursor: state.cursor)
            CommandRunner.printError("realign train: resuming from \(checkpoint) at step \(state.step) of \(settings.totalSteps)")
        } else {
            trainer = try Trainer(weights: studentFile.weights, sequences: sequences, plan: plan, objective: objective,
                                  trainable: trainable, settings: settings)
        }

        let interactive = isatty(STDERR_FILENO) == 1
        let log = try TrainingLog(path: outputDirectory + "/train_log.jsonl")
        let progress = ProgressBar(total: settings.totalSteps - trainer.step, unit: "steps", rateUnit: "tokens")
        let stop = StopSignal()
        let clock = ContinuousClock()
        let start = clock.now
        var tokens = 0
        var first: StepReport?, last: StepReport?
        CommandRunner.printError("""
            realign train: \(method.rawValue), \(sequences.count) sequences in \(plan.microBatches.count) micro-batches, \
            \(settings.totalSteps) steps of \(settings.gradientAccumulation), \(settings.optimizer.rawValue) lr \(settings.learningRate), \
            \(ComputeThreads.count) threads
            """)
        while !trainer.isFinished {
            if stop.isRequested {
                progress.finish()
                let directory = outputDirectory + "/" + TrainingCheckpoint.directoryName(step: trainer.step)
                try TrainingCheckpoint.write(trainer, model: model, run: description, to: directory)
                CommandRunner.printError("realign train: \(stop.reason ?? "stopped") at step \(trainer.step); wrote \(directory), continue with --resume")
                return .interrupted
            }
            let report = trainer.trainStep()
            first = first ?? report
            last = report
            tokens += report.tokens
            let elapsed = Self.seconds(clock.now - start)
            let line = JSONValue.object([
                JSONMember("step", .integer(Int64(report.step))), JSONMember("loss", .double(report.loss)),
                JSONMember("lr", .double(report.learningRate)), JSONMember("grad_norm", .double(report.gradientNorm)),
                JSONMember("tokens", .integer(Int64(report.tokens))), JSONMember("rows", .integer(Int64(report.responseRows))),
                JSONMember("epoch", .integer(Int64(report.epoch))),
                JSONMember("tokens_per_s", .double((Double(tokens) / max(elapsed, 1e-9)).rounded())),
                JSONMember("elapsed_s", .double((elapsed * 1000).rounded() / 1000)),
            ]).jsonText
            try log.append(line)
            // Unbuffered, so a log collector sees each step as it ends.
            if !interactive { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            progress.advance(by: 1, rateCount: report.tokens, status: String(format: "loss %.4f", report.loss))
            if let saveEvery, report.step % saveEvery == 0, !trainer.isFinished {
                try TrainingCheckpoint.write(trainer, model: model, run: description,
                                             to: outputDirectory + "/" + TrainingCheckpoint.directoryName(step: report.step))
            }
        }
        progress.finish()
        let final = outputDirectory + "/final"
        try TrainingCheckpoint.write(trainer, model: model, run: description, to: final)
        let elapsed = Self.seconds(clock.now - start)
        if let first, let last {
            print(String(format: "trained %d steps (%d to %d) in %.1f s, %.0f tokens/s: loss %.4f -> %.4f; wrote %@",
                         last.step - first.step + 1, first.step, last.step, elapsed, Double(tokens) / max(elapsed, 1e-9),
                         first.loss, last.loss, final))
        } else {
            print("nothing to train: the checkpoint is at step \(trainer.step) of \(settings.totalSteps); wrote \(final)")
        }
        return .success
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// The keys whose values differ between two run descriptions.
    static func differences(_ saved: JSONValue, _ current: JSONValue) -> String {
        let savedMembers = saved.objectMembers ?? [], currentMembers = current.objectMembers ?? []
        let keys = Set(savedMembers.map(\.key)).union(currentMembers.map(\.key)).sorted()
        return keys.compactMap { key -> String? in
            let was = saved[key], now = current[key]
            guard was != now else { return nil }
            return "\(key) was \(was?.jsonText ?? "absent"), now \(now?.jsonText ?? "absent")"
        }.joined(separator: "; ")
    }
}

/// `DIR/train_log.jsonl`: one JSON line per step, appended (a resumed run continues it).
private final class TrainingLog {
    private let handle: FileHandle

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CheckpointError(path: path, problem: "cannot create the training log")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CheckpointError(path: path, problem: "cannot open the training log")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func append(_ line: String) throws {
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }

    deinit {
        try? handle.close()
    }
}
