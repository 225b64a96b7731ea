import Core
import Foundation

/// `realign serve`: an OpenAI-compatible HTTP gateway in front of the fleet.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve",
        summary: "an OpenAI-compatible HTTP gateway (/v1/chat/completions, /v1/completions) over the fleet",
        usage: "realign serve --port P --model NAME=PATH [--model NAME=PATH ...] [options]",
        options: [
            .init("port", value: "P", help: "TCP port (0 picks a free one; the address is printed)."),
            .init("host", value: "ADDRESS", help: "IPv4 address to listen on (default 0.0.0.0)."),
            .init("model", short: "m", value: "MODEL", help: "A model to serve: NAME=PATH, PATH, or a NAME served by external workers.", repeatable: true),
            .init("max-body-bytes", value: "N", help: "Largest request body; a larger one is answered 413 (default 1048576)."),
            .init("max-concurrent", value: "N", help: "Generation requests at once; more are answered 429 (default 64)."),
            .init("shutdown-grace", value: "SECONDS", help: "On SIGINT/SIGTERM, wait this long for requests in progress (default 30)."),
        ] + GenerationFleet.options,
        epilog: """
        Prints `listening on http://HOST:PORT` once it accepts requests. Request bodies take \
        OpenAI's fields plus `control` (alias `lambda`), `mode`, `top_k`, `min_p`, and `ref`/`aligned` \
        for dera. Exit status: 0 stopped by SIGINT/SIGTERM, 1 failed (e.g. every worker exited), 2 usage error.
        \(WeightPrecision.embeddedWorkersHelp)
        """)

    static func main(_ arguments: [String]) async -> ExitCode {
        await CommandRunner.run(spec, arguments) { arguments in
            func usage(_ message: String) -> UsageError { UsageError(command: spec.name, message: message) }
            guard let port = try arguments.int("port", in: 0...65535) else { throw usage("--port is required") }
            let host = arguments.string("host") ?? "0.0.0.0"
            let modelArguments = arguments.strings("model").map(ModelArgument.init)
            guard !modelArguments.isEmpty else { throw usage("at least one --model is required") }
            let names = modelArguments.map(\.name)
            guard Set(names).count == names.count else { throw usage("a model name is given twice") }
            var limits = HTTPServer.Limits()
            limits.bodyBytes = try arguments.int("max-body-bytes", in: 1...(1 << 30)) ?? limits.bodyBytes
            let maxConcurrent = try arguments.int("max-concurrent", in: 1...100_000) ?? 64
            limits.maxConnections = max(limits.maxConnections, maxConcurrent + 16)
            let grace = try arguments.double("shutdown-grace") ?? 30
            let settings = try GenerationFleet.Settings(arguments, models: modelArguments)

            let stop = StopSignal()
            return try await GenerationFleet.run(settings, clientPrefix: "gw") { fleet in
                let gateway = OpenAIGateway(client: fleet.client, options: .init(models: names, maxConcurrent: maxConcurrent))
                let server = try HTTPServer(host: host, port: port, limits: limits,
                                            errorResponse: { status, reason in OpenAIError.http(status: status, message: reason).response },
                                            handler: gateway.handle)
                FileHandle.standardOutput.write(Data("realign serve: listening on http://\(host):\(server.port) (models: \(names.joined(separator: ", ")))\n".utf8))
                Log.info("gateway up", ["port": .integer(Int64(server.port)), "client": .string(fleet.client.options.clientID),
                                        "logs": .string(fleet.logDirectory ?? "")])
                let health = fleet.embedded?.health ?? { nil }
                var problem: String?
                while !stop.isRequested && problem == nil {
                    try? await Task.sleep(for: .milliseconds(200))
                    problem = health()
                }
                server.stop()
                if let problem {
                    CommandRunner.printError("realign serve: \(problem)")
                    return .failure
                }
                let remaining = gateway.drain(timeout: .milliseconds(Int64(grace * 1000)))
                Log.info("gateway stopped", ["reason": .string(stop.reason ?? ""), "unfinished_requests": .integer(Int64(remaining))])
                return .success
            }
        }
    }
}
