import Core
import Foundation

let spec = CommandSpec(
    name: "realign-worker",
    summary: "serve realign jobs from Kafka with a fixed set of models",
    usage: "realign-worker --brokers HOST:PORT --model NAME=PATH [--model NAME=PATH ...] [--adapter NAME=FILE ...] [-X KEY=VALUE ...] [-F FILE] [options]",
    options: [
        .init("brokers", short: "b", value: "LIST", help: "Bootstrap servers of the Kafka cluster.", environment: "REALIGN_BROKERS"),
        .init("model", short: "m", value: "NAME=PATH", help: "A model to serve under NAME: a GGUF file or a Hugging Face directory (an InRa model when its config.json declares realign_inra).", repeatable: true),
        .init("adapter", value: "NAME=FILE", help: "Serve model NAME as an InRa model: its --model file is the base (GGUF, quantised included), FILE the adapter layer (realign expand --adapter-only).", repeatable: true),
        .init("group", short: "G", value: "ID", help: "Consumer group (default: <prefix>-workers). One group serves one model set."),
        .init("topic-prefix", value: "PREFIX", help: "Prefix of the fleet's topics (default: realign)."),
        .init("threads", short: "t", value: "N", help: "Compute threads, OpenBLAS included (default: all cores).", environment: "REALIGN_THREADS"),
        .init("metrics-port", value: "PORT", help: "Serve /metrics (Prometheus), /healthz and /readyz on this port.", environment: "REALIGN_METRICS_PORT"),
        .init("parent-pid", value: "PID", help: "Exit when this process is no longer the parent (set by the coordinator)."),
    ] + KafkaCommandLine.options,
    epilog: """
    Consumes <prefix>.requests (generation, first) and <prefix>.jobs (teacher jobs) in the \
    consumer group, reads cancels from <prefix>.control, replies on each job's reply_to, \
    copies failed jobs to <prefix>.dlq, and commits a job only after its reply is acknowledged.
    REALIGN_WEIGHTS=quantized keeps a GGUF's Q4_0/Q4_1/Q8_0 weights in their blocks (about \
    a fifth of the memory, faster decoding); the default, exact, dequantises them to float32.
    Exit status: 0 stopped by SIGINT/SIGTERM or its parent's exit, 1 failure, 2 usage error.
    """)

func main() async -> ExitCode {
    let arguments: ParsedArguments
    do {
        arguments = try spec.parse(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return .usage
    }
    if arguments.has("help") {
        print(spec.helpText, terminator: "")
        return .success
    }
    do {
        let modelArguments = arguments.strings("model")
        guard !modelArguments.isEmpty else { throw UsageError(command: spec.name, message: "at least one --model NAME=PATH is required") }
        let threads = try arguments.int("threads", in: 1...1024) ?? ProcessInfo.processInfo.activeProcessorCount
        let parentPID = try arguments.int("parent-pid").map(Int32.init)
        let topics = Topics(prefix: arguments.string("topic-prefix") ?? Topics.defaultPrefix)
        var config = try KafkaCommandLine.config(brokers: arguments.string("brokers"), arguments)
        // The cluster may also come from a -F file or REALIGN_KAFKA_BOOTSTRAP_SERVERS.
        guard config.bootstrapServers != nil else {
            throw UsageError(command: spec.name, message: "--brokers is required (or bootstrap.servers in a -F file or REALIGN_KAFKA_BOOTSTRAP_SERVERS)")
        }
        ComputeThreads.set(threads)

        let stop = StopSignal()
        if let parentPID { ParentWatch.start(parent: parentPID, stop: stop) }
        let metrics = WorkerMetrics()
        let statusServer = try arguments.int("metrics-port", in: 0...65535).map { try metrics.serve(port: $0) }
        defer { statusServer?.stop() }
        if let statusServer { Log.info("status endpoints", ["port": .integer(Int64(statusServer.port))]) }
        let modelPaths = try modelArguments.map { try ModelArgument.parse($0, command: spec.name) }
        var adapters: [String: String] = [:]
        for argument in arguments.strings("adapter") {
            let (name, file) = try ModelArgument.parse(argument, command: spec.name)
            guard adapters[name] == nil else { throw UsageError(command: spec.name, message: "--adapter \(name) given twice") }
            guard modelPaths.contains(where: { $0.name == name }) else {
                throw UsageError(command: spec.name, message: "--adapter \(argument): no --model \(name)=PATH to put it on")
            }
            adapters[name] = file
        }
        var models: [String: ServedModel] = [:]
        let precision = try WeightPrecision.inference(environment: ProcessInfo.processInfo.environment)
        for (name, path) in modelPaths {
            guard models[name] == nil else { throw UsageError(command: spec.name, message: "model name \(name) given twice") }
            let started = Date()
            let model = try ServedModel.load(name: name, path: path, adapter: adapters[name], precision: precision)
            models[name] = model
            let seconds = Date().timeIntervalSince(started)
            metrics.modelLoaded(name, seconds: seconds)
            Log.info("model loaded", [
                "model": .string(name), "path": .string(path), "adapter": adapters[name].map(JSONValue.string) ?? .null,
                "inra": .bool(model.hasAdapter), "weights": .string(precision.rawValue), "seconds": .double(seconds),
            ])
        }
        let maxReplyBytes = config["message.max.bytes"].flatMap(Int.init) ?? 1_000_000
        config["client.id"] = config["client.id"] ?? "realign-worker-\(getpid())"
        let group = arguments.string("group") ?? topics.workerGroup
        var readerConfig = config
        readerConfig["group.id"] = nil
        let consumers = JobWorker.Consumers(
            jobs: try KafkaConsumer(config: config, groupID: group),
            requests: try KafkaConsumer(config: config, groupID: group),
            control: try KafkaConsumer(config: readerConfig, offsetReset: .latest))
        let producer = try KafkaProducer(config: config)
        let worker = JobWorker(
            runner: TeacherJobRunner(models: models, maxReplyBytes: maxReplyBytes),
            consumers: consumers, producer: producer,
            options: .init(topics: topics, parentPID: parentPID), stop: stop, metrics: metrics)
        try await worker.run()
        try producer.flush(timeout: .seconds(10))
        return .success
    } catch let error as UsageError {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return .usage
    } catch {
        Log.error("worker failed", ["error": .string("\(error)")])
        return .failure
    }
}

OpenBLASKernels.restartWithSuitedKernelsIfNeeded()
exit(await main().rawValue)
