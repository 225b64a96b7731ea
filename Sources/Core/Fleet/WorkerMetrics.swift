import Foundation
import Synchronization

/// What a worker reports on `--metrics-port`: `/metrics` (Prometheus text format),
/// `/healthz` (the process serves) and `/readyz` (models loaded and the consumer group
/// joined - until then a Kubernetes Service sends it nothing and a rollout waits).
public final class WorkerMetrics: Sendable {
    public static let families: [MetricsRegistry.Family] = [
        .init("realign_jobs_total", .counter, help: "Jobs finished, by kind and status (done, or the error code)."),
        .init("realign_tokens_total", .counter, help: "Tokens of finished jobs: sequence tokens of teacher jobs, generated tokens of generation requests."),
        .init("realign_job_duration_seconds", .histogram(buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]),
              help: "Time from taking a job to its reply being acknowledged."),
        .init("realign_jobs_in_flight", .gauge, help: "Jobs taken and not yet answered."),
        .init("realign_model_load_seconds", .gauge, help: "Time to load each served model."),
        .init("realign_consumer_lag", .gauge, help: "Messages behind the high watermark, per assigned partition."),
    ]

    public let registry = MetricsRegistry(families: WorkerMetrics.families)
    private let ready = Atomic<Bool>(false)

    public init() {}

    public var isReady: Bool { ready.load(ordering: .acquiring) }

    public func markReady() { ready.store(true, ordering: .releasing) }

    public func modelLoaded(_ name: String, seconds: Double) {
        registry.set("realign_model_load_seconds", seconds, labels: ["model": name])
    }

    public func jobStarted() { registry.add("realign_jobs_in_flight", 1) }

    /// `status` is `done` or an error code.
    public func jobEnded(kind: String, status: String, tokens: Int, seconds: Double) {
        registry.add("realign_jobs_in_flight", -1)
        registry.add("realign_jobs_total", 1, labels: ["kind": kind, "status": status])
        if tokens > 0 { registry.add("realign_tokens_total", Double(tokens), labels: ["kind": kind]) }
        registry.observe("realign_job_duration_seconds", seconds, labels: ["kind": kind])
    }

    public func consumerLag(_ lags: [(partition: TopicPartition, messages: Int64)]) {
        registry.reset("realign_consumer_lag")
        for lag in lags {
            registry.set("realign_consumer_lag", Double(lag.messages),
                         labels: ["topic": lag.partition.topic, "partition": String(lag.partition.partition)])
        }
    }

    /// Serves the three endpoints on `port` (all interfaces).
    public func serve(port: Int) throws -> HTTPServer {
        try HTTPServer(port: port) { [self] request, writer in
            switch (request.method, request.path) {
            case ("GET", "/metrics"):
                try writer.send(.text(registry.text(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
            case ("GET", "/healthz"):
                try writer.send(.text("ok\n"))
            case ("GET", "/readyz"):
                try writer.send(isReady ? .text("ready\n") : .text("not ready: loading models or joining the group\n", status: 503))
            default:
                try writer.send(.text("not found; try /metrics, /healthz or /readyz\n", status: 404))
            }
        }
    }
}
