import Testing
@testable import Core

@Suite struct MetricsRegistryTests {
    @Test func rendersTheTextFormat() {
        let registry = MetricsRegistry(families: [
            .init("jobs_total", .counter, help: "Jobs done."),
            .init("lag", .gauge, help: "Lag\nper partition."),
            .init("seconds", .histogram(buckets: [0.5, 2]), help: "Durations."),
        ])
        registry.add("jobs_total", labels: ["kind": "teacher", "status": "done"])
        registry.add("jobs_total", 2, labels: ["status": "done", "kind": "teacher"])
        registry.add("jobs_total", labels: ["kind": "teacher", "status": "bad \"x\""])
        registry.set("lag", 7, labels: ["partition": "1"])
        registry.observe("seconds", 0.25)
        registry.observe("seconds", 1.5)
        registry.observe("seconds", 9)
        #expect(registry.text() == """
        # HELP jobs_total Jobs done.
        # TYPE jobs_total counter
        jobs_total{kind="teacher",status="bad \\"x\\""} 1
        jobs_total{kind="teacher",status="done"} 3
        # HELP lag Lag\\nper partition.
        # TYPE lag gauge
        lag{partition="1"} 7
        # HELP seconds Durations.
        # TYPE seconds histogram
        seconds_bucket{le="0.5"} 1
        seconds_bucket{le="2"} 2
        seconds_bucket{le="+Inf"} 3
        seconds_sum 10.75
        seconds_count 3

        """)
    }

    @Test func resetDropsAGaugesSeries() {
        let registry = MetricsRegistry(families: [.init("lag", .gauge, help: "Lag.")])
        registry.set("lag", 3, labels: ["partition": "0"])
        registry.reset("lag")
        registry.set("lag", 1, labels: ["partition": "2"])
        #expect(registry.text() == "# HELP lag Lag.\n# TYPE lag gauge\nlag{partition=\"2\"} 1\n")
    }
}
