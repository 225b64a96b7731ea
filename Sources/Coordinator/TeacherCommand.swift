import Core
import Foundation

/// `realign teacher`: TrRa teacher targets for a dataset, computed by the fleet.
enum TeacherCommand {
    static let spec = CommandSpec(
        name: "teacher",
        summary: "compute TrRa teacher targets for a dataset over the worker fleet",
        usage: "realign teacher --data FILE --ref M --aligned M --lambda L[,L...] --out DIR [options]",
        options: [
            .init("data", short: "d", value: "FILE", help: "Dataset: JSONL or a JSON array of alpaca, sharegpt, prompt/response or input_ids records."),
            .init("ref", value: "MODEL", help: "Reference model: NAME=PATH, PATH, or a NAME served by external workers."),
            .init("aligned", value: "MODEL", help: "Aligned model (the same forms; may name the ref model)."),
            .init("aligned-system", value: "TEXT", help: "System message of the aligned view (text records only)."),
            .init("lambda", short: "l", value: "L[,L...]", help: "Fusion weights in [-10, 10]: 0 = ref, 1 = aligned, >1 extrapolates.", repeatable: true),
            .init("control", value: "L[,L...]", help: "Alias of --lambda (the authors' name).", repeatable: true),
            .init("top-k", short: "k", value: "K", help: "Teacher tokens kept per row, 1..1024 (default 32)."),
            .init("out", short: "o", value: "DIR", help: "Output directory (manifest.json, targets-*.safetensors)."),
            .init("limit", short: "n", value: "N", help: "Only the first N records."),
            .init("job-tokens", value: "N", help: "Token budget of one job (default: what keeps a reply under the message size, at most 4096)."),
            .init("cutoff-len", value: "N", help: "Truncate responses so a sequence has at most N tokens (default: a longer one fails alone)."),
            .init("brokers", short: "b", value: "LIST", help: "Kafka bootstrap servers; without it an embedded broker and workers are started.", environment: "REALIGN_BROKERS"),
            .init("workers", short: "w", value: "N", help: "Worker processes of the embedded fleet (default 2)."),
            .init("threads", short: "t", value: "N", help: "Compute threads per embedded worker (default: cores / workers)."),
            .init("partitions", value: "N", help: "Partitions of the embedded topics and of the reply topic (default: max(4, workers))."),
            .init("run-id", value: "ID", help: "Run id (default: time and a random suffix); replies go to <prefix>.replies.<ID>."),
            .init("resume", help: "Continue the interrupted run in --out."),
            .init("overwrite", help: "Replace an earlier run in --out."),
            .init("job-timeout", value: "SECONDS", help: "Submit unanswered jobs again after this long without any reply (default 120)."),
            .init("topic-prefix", value: "PREFIX", help: "Prefix of the fleet's topics (default: realign)."),
        ] + KafkaCommandLine.options,
        epilog: """
        Exit status: 0 done, 1 failed, 2 usage error, 3 done but some records failed \
        (listed under failures in manifest.json), 130 interrupted (continue with --resume).
        \(WeightPrecision.embeddedWorkersHelp)
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            let ref = ModelArgument(try arguments.required("ref"))
            let aligned = ModelArgument(try arguments.required("aligned"))
            let lambdas = try arguments.doubles("lambda") + arguments.doubles("control")
            guard !lambdas.isEmpty else { throw UsageError(command: spec.name, message: "--lambda is required") }
            if arguments.has("resume") && arguments.has("overwrite") {
                throw UsageError(command: spec.name, message: "--resume continues the run in --out and --overwrite replaces it: give one")
            }
            let topics = Topics(prefix: arguments.string("topic-prefix") ?? Topics.defaultPrefix)
            let kafka = try KafkaCommandLine.config(brokers: arguments.string("brokers"), arguments)
            // A cluster named only in a -F file or REALIGN_KAFKA_BOOTSTRAP_SERVERS counts as --brokers.
            let brokers = kafka.bootstrapServers
            let options = TeacherRun.Options(
                dataPath: try arguments.required("data"), limit: try arguments.int("limit", in: 1...Int.max),
                ref: ref.name, aligned: aligned.name, alignedSystem: arguments.string("aligned-system"),
                lambdas: lambdas, topK: try arguments.int("top-k") ?? 32, outputDirectory: try arguments.required("out"),
                jobTokens: try arguments.int("job-tokens", in: 1...1_000_000),
                cutoffLen: try arguments.int("cutoff-len", in: 2...1_000_000),
                runID: arguments.string("run-id"), resume: arguments.has("resume"), overwrite: arguments.has("overwrite"),
                topics: topics, jobTimeout: .seconds(try arguments.double("job-timeout") ?? 120),
                maxMessageBytes: kafka["message.max.bytes"].flatMap(Int.init) ?? 1_000_000)
            // Every option is checked before the run claims its output directory.
            let workers = try arguments.int("workers", in: 1...64) ?? 2
            let partitions = try arguments.int("partitions", in: 1...1024)
            let threads = try arguments.int("threads", in: 1...1024)
            let models = brokers == nil ? try FleetModels.local([ref, aligned], command: spec.name) : []
            do {
                try TeacherJob(id: "options", replyTo: "realign.options", ref: options.ref, aligned: options.aligned,
                               alignedSystem: nil, lambdas: lambdas, topK: options.topK,
                               sequences: [.tokens(id: "0", inputIDs: [0, 0], promptLen: 1)], cutoffLen: options.cutoffLen).validate()
            } catch let error as JobError {
                throw UsageError(command: spec.name, message: error.message)
            }
            let stop = StopSignal()
            let run = TeacherRun(options: options, stop: stop)
            // An unreachable cluster is found before the run claims its output directory.
            let admin = try brokers.map { _ in try KafkaAdmin(config: kafka, defaultTimeout: .seconds(10)) }
            try admin?.checkReachable()
            let prepared = try run.prepare()

            let summary: TeacherRunSummary
            do {
                if let admin {
                    summary = try await run.run(prepared, on: .init(kafka: kafka, topicCreator: admin, replyPartitions: partitions ?? 4, replicationFactor: -1))
                } else {
                    let fleet = try EmbeddedFleet(
                        workerCount: workers, models: models, topics: topics, partitions: partitions,
                        threadsPerWorker: threads, logDirectory: options.outputDirectory + "/logs", kafkaOptions: KafkaCommandLine.optionArguments(arguments))
                    defer { fleet.shutdown() }
                    summary = try await run.run(prepared, on: fleet.teacherFleet)
                }
            } catch let error as TeacherRunError where stop.isRequested {
                CommandRunner.printError("realign teacher: \(error)")
                return .interrupted
            }
            print(summary.text)
            return summary.failed > 0 ? .partial : .success
        }
    }
}
