import Core
import Foundation

/// `realign generate`: plain, InRa or DeRa generation through the fleet, one prompt
/// streamed to stdout or a dataset's prompts to a JSONL file.
enum GenerateCommand {
    static let spec = CommandSpec(
        name: "generate",
        summary: "generate text through the worker fleet (plain, InRa or DeRa, any lambda)",
        usage: "realign generate --model NAME=PATH (--prompt TEXT | --messages JSON | --data FILE --out FILE) [options]",
        options: [
            .init("model", short: "m", value: "MODEL", help: "The model: NAME=PATH, PATH, or a NAME served by external workers."),
            .init("ref", value: "MODEL", help: "DeRa: the reference model (the same forms)."),
            .init("aligned", value: "MODEL", help: "DeRa: the aligned model (may name the ref model)."),
            .init("aligned-system", value: "TEXT", help: "DeRa: the aligned model's system message (chat prompts only)."),
            .init("mode", value: "MODE", help: "plain, inra or dera (default: dera with --ref/--aligned, inra for a model with an adapter, else plain)."),
            .init("lambda", short: "l", value: "X", help: "Weight of the aligned stream in [-10, 10] (default 1; inra and dera only)."),
            .init("control", value: "X", help: "Alias of --lambda (the authors' name)."),
            .init("prompt", short: "p", value: "TEXT", help: "One user message (rendered with the model's chat template)."),
            .init("raw", help: "Send --prompt as raw text, without the chat template."),
            .init("messages", value: "JSON", help: "Chat turns: [{\"role\": \"user\", \"content\": \"...\"}, ...]."),
            .init("data", short: "d", value: "FILE", help: "Generate for every record of a dataset (the forms teacher reads; a response is ignored)."),
            .init("limit", short: "n", value: "N", help: "Only the first N records of --data."),
            .init("out", short: "o", value: "FILE", help: "JSONL results, one line per record (required with --data)."),
            .init("max-tokens", value: "N", help: "Generated tokens at most (default 256)."),
            .init("temperature", value: "T", help: "Sampling temperature >= 0; 0 is greedy (default 1)."),
            .init("top-p", value: "P", help: "Nucleus sampling, in (0, 1]."),
            .init("top-k", value: "K", help: "Keep the K most likely tokens (0: off)."),
            .init("min-p", value: "P", help: "Keep tokens at least P times as likely as the top one, in [0, 1]."),
            .init("seed", value: "S", help: "Sampling seed (default: derived from the request id)."),
            .init("stop", value: "TEXT", help: "End the text before this string.", repeatable: true),
            .init("concurrency", value: "N", help: "Requests in flight with --data (default 16 per worker)."),
        ] + GenerationFleet.options,
        epilog: """
        Exit status: 0 done, 1 failed, 2 usage error, 3 done but some records failed (their \
        lines in --out hold an error), 130 interrupted.
        \(WeightPrecision.embeddedWorkersHelp)
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            func usage(_ message: String) -> UsageError { UsageError(command: spec.name, message: message) }
            let inputs = ["prompt", "messages", "data"].filter { arguments.string($0) != nil }
            guard inputs.count == 1 else { throw usage("give exactly one of --prompt, --messages, --data") }
            if arguments.has("raw") && arguments.string("prompt") == nil { throw usage("--raw applies to --prompt") }
            let out = arguments.string("out")
            if arguments.string("data") != nil && out == nil { throw usage("--data needs --out FILE") }
            if arguments.string("limit") != nil && arguments.string("data") == nil { throw usage("--limit applies to --data") }

            var template = try parameters(arguments)
            let modelArguments = [template.model, template.ref, template.aligned].compactMap { $0 }.map(ModelArgument.init)
            template.model = template.model.map { ModelArgument($0).name }
            template.ref = template.ref.map { ModelArgument($0).name }
            template.aligned = template.aligned.map { ModelArgument($0).name }
            let settings = try GenerationFleet.Settings(arguments, models: modelArguments)
            try checkAdapter(template, settings)

            // One request per input, checked before anything starts.
            var requests: [(id: String, input: GenerateParameters.Input)] = []
            if let prompt = arguments.string("prompt") {
                requests = [("0", arguments.has("raw") ? .prompt(prompt) : .messages([ChatMessage(role: "user", content: prompt)]))]
            } else if let json = arguments.string("messages") {
                requests = [("0", .messages(try messages(json)))]
            } else if let data = arguments.string("data") {
                let limit = try arguments.int("limit", in: 1...Int.max)
                requests = try DatasetReader.read(path: data, limit: limit).map { ($0.id, prompt(of: $0)) }
                guard !requests.isEmpty else { throw GenerateError("\(data) holds no records") }
            }
            for request in requests {
                var parameters = template
                parameters.input = request.input
                if let problem = parameters.problem { throw usage("record \(request.id): \(problem)") }
            }
            let concurrency = try arguments.int("concurrency", in: 1...4096) ?? 16 * settings.workers

            let stop = StopSignal()
            return try await GenerationFleet.run(settings, clientPrefix: "gen") { fleet in
                if arguments.string("data") != nil {
                    return try await generateDataset(requests, template: template, client: fleet.client, out: out!,
                                                     concurrency: concurrency, stop: stop)
                }
                var parameters = template
                parameters.input = requests[0].input
                parameters.stream = true
                return try await streamOne(parameters, client: fleet.client, out: out, stop: stop)
            }
        }
    }

    /// With embedded workers the command knows which model has an adapter (an `--adapter`
    /// file or an expanded directory), so InRa settings for a plain model are usage errors.
    static func checkAdapter(_ template: GenerateParameters, _ settings: GenerationFleet.Settings) throws {
        guard settings.brokers == nil, template.effectiveMode != .dera, let name = template.model,
              let path = settings.models.first(where: { $0.name == name })?.path else { return }
        let expanded = (try? InRaModel.declaredAdapterLayer(directory: path)) != nil
        guard !expanded, !settings.adapters.contains(where: { $0.name == name }) else { return }
        let remedy = "give --adapter \(name)=FILE or an expanded model (realign expand)"
        if template.mode == .inra { throw UsageError(command: spec.name, message: "--mode inra: model \(name) has no adapter; \(remedy)") }
        if template.lambda != nil {
            throw UsageError(command: spec.name, message: "--lambda: model \(name) has no adapter, so it is plain; \(remedy), or use --ref/--aligned (dera)")
        }
    }

    /// The request fields of the command line (the input is set per request).
    static func parameters(_ arguments: ParsedArguments) throws(UsageError) -> GenerateParameters {
        func usage(_ message: String) -> UsageError { UsageError(command: spec.name, message: message) }
        var parameters = GenerateParameters(input: .prompt(""))
        parameters.model = arguments.string("model")
        parameters.ref = arguments.string("ref")
        parameters.aligned = arguments.string("aligned")
        parameters.alignedSystem = arguments.string("aligned-system")
        if parameters.model != nil && (parameters.ref != nil || parameters.aligned != nil) {
            throw usage("give --model, or --ref and --aligned (dera), not both")
        }
        if let name = arguments.string("mode") {
            guard let mode = GenerationMode(rawValue: name) else { throw usage("--mode must be plain, inra or dera, got \(name)") }
            parameters.mode = mode
        }
        if arguments.string("lambda") != nil && arguments.string("control") != nil { throw usage("give --lambda or --control, not both") }
        let control = try arguments.double("control")
        parameters.lambda = try arguments.double("lambda") ?? control
        parameters.maxTokens = try arguments.int("max-tokens")
        parameters.temperature = try arguments.double("temperature")
        parameters.topP = try arguments.double("top-p")
        parameters.topK = try arguments.int("top-k")
        parameters.minP = try arguments.double("min-p")
        if let text = arguments.string("seed") {
            guard let seed = UInt64(text) else { throw usage("--seed must be an integer in [0, 2^63), got \(text)") }
            parameters.seed = seed
        }
        parameters.stop = arguments.strings("stop")
        if let problem = parameters.problem {
            let option = ["lambda": "lambda", "max_tokens": "max-tokens", "top_p": "top-p", "top_k": "top-k", "min_p": "min-p",
                          "aligned_system": "aligned-system"][problem.field] ?? problem.field
            throw usage("--\(option): \(problem.message)")
        }
        return parameters
    }

    /// `--messages` JSON: an array of `{"role", "content"}` strings.
    static func messages(_ json: String) throws(UsageError) -> [ChatMessage] {
        func usage(_ message: String) -> UsageError { UsageError(command: spec.name, message: "--messages: \(message)") }
        let root: JSONValue
        do {
            root = try JSONParser.parse(json)
        } catch {
            throw usage(error.description)
        }
        guard let elements = root.arrayValue, !elements.isEmpty else { throw usage("must be a non-empty JSON array") }
        var messages: [ChatMessage] = []
        for (index, element) in elements.enumerated() {
            guard let role = element["role"]?.stringValue, let content = element["content"]?.stringValue else {
                throw usage("message \(index) needs string 'role' and 'content'")
            }
            guard SequenceInput.roles.contains(role) else { throw usage("message \(index): role \(role) is not system, user or assistant") }
            messages.append(ChatMessage(role: role, content: content))
        }
        return messages
    }

    /// A dataset record's prompt: its conversation without the response.
    static func prompt(of sequence: SequenceInput) -> GenerateParameters.Input {
        switch sequence {
        case .messages(_, let messages):
            .messages(messages.last?.role == "assistant" ? Array(messages.dropLast()) : messages)
        case .promptResponse(_, let prompt, _):
            .messages([ChatMessage(role: "user", content: prompt)])
        case .tokens(_, let inputIDs, let promptLen):
            .tokens(Array(inputIDs.prefix(promptLen)))
        }
    }

    /// Prints the text as it comes; `--out` also gets the result line.
    static func streamOne(_ parameters: GenerateParameters, client: GenerationClient, out: String?, stop: StopSignal) async throws -> ExitCode {
        let task = Task { () throws -> GenerateReply.Final? in
            var printed = ""
            for try await event in client.stream(parameters) {
                switch event {
                case .text(let text, _):
                    printed += text
                    FileHandle.standardOutput.write(Data(text.utf8))
                case .finished(let final):
                    if !printed.hasSuffix("\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
                    return final
                }
            }
            return nil
        }
        stop.onStop { _ in task.cancel() }
        do {
            guard let final = try await task.value else { return .interrupted }
            if let out { try writeLines([resultLine(id: "0", final)], to: out) }
            return .success
        } catch is CancellationError {
            return .interrupted
        }
    }

    static func generateDataset(_ requests: [(id: String, input: GenerateParameters.Input)], template: GenerateParameters,
                                client: GenerationClient, out: String, concurrency: Int, stop: StopSignal) async throws -> ExitCode {
        let progress = ProgressBar(total: requests.count, unit: "records", rateUnit: "tokens")
        let work = Task { () throws -> (lines: [JSONValue?], failed: Int) in
            try await withThrowingTaskGroup(of: (Int, JSONValue, Bool).self) { group in
                var lines = [JSONValue?](repeating: nil, count: requests.count)
                var failed = 0
                var next = 0
                func addNext() {
                    let index = next
                    next += 1
                    var parameters = template
                    parameters.input = requests[index].input
                    let id = requests[index].id
                    group.addTask {
                        do {
                            for try await event in client.stream(parameters) {
                                if case .finished(let final) = event { return (index, resultLine(id: id, final), true) }
                            }
                            throw CancellationError()
                        } catch let error as GenerationClientError {
                            if case .failed(let failure) = error { return (index, errorLine(id: id, code: failure.code, message: failure.message), false) }
                            throw error
                        }
                    }
                }
                while next < min(concurrency, requests.count) { addNext() }
                while let (index, line, succeeded) = try await group.next() {
                    lines[index] = line
                    if !succeeded { failed += 1 }
                    progress.advance(by: 1, rateCount: line["usage"]?["completion_tokens"]?.integerValue.map { Int($0) } ?? 0)
                    if next < requests.count { addNext() }
                }
                return (lines, failed)
            }
        }
        stop.onStop { _ in work.cancel() }
        let (lines, failed): ([JSONValue?], Int)
        do {
            (lines, failed) = try await work.value
        } catch is CancellationError {
            return .interrupted
        }
        progress.finish()
        try writeLines(lines.compactMap { $0 }, to: out)
        FileHandle.standardError.write(Data("realign generate: \(requests.count - failed) of \(requests.count) records written to \(out)\n".utf8))
        return failed > 0 ? .partial : .success
    }

    /// One JSONL result: id, text, token_ids, finish_reason, usage, lambda, mode.
    static func resultLine(id: String, _ final: GenerateReply.Final) -> JSONValue {
        .object([
            JSONMember("id", .string(id)), JSONMember("text", .string(final.text)),
            JSONMember("token_ids", .array(final.tokenIDs.map { .integer(Int64($0)) })),
            JSONMember("finish_reason", .string(final.finishReason)),
            JSONMember("usage", OpenAIResponseBuilder.usage(final.usage)),
            JSONMember("lambda", final.lambda.map { .double($0) } ?? .null),
            JSONMember("mode", final.mode.map { .string($0) } ?? .null),
        ])
    }

    static func errorLine(id: String, code: String, message: String) -> JSONValue {
        .object([JSONMember("id", .string(id)),
                 JSONMember("error", .object([JSONMember("code", .string(code)), JSONMember("message", .string(message))]))])
    }

    static func writeLines(_ lines: [JSONValue], to path: String) throws {
        var bytes: [UInt8] = []
        for line in lines { bytes += line.jsonBytes + [UInt8(ascii: "\n")] }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw GenerateError("cannot write \(path)") }
    }
}

struct GenerateError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
