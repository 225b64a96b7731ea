import Foundation
import Testing

/// The manifests under k8s/ render and validate offline (scripts/check-k8s.sh), and the
/// check is not a rubber stamp: a misspelt field of a built-in kind or of a custom
/// resource, and a kind without a schema, each make it fail and name the document.
/// Serialized: the first run installs the tools, and two installs must not race.
@Suite(.serialized)
struct KubernetesManifestTests {
    /// Every document of k8s/ and k8s/jobs/teacher/ with the schema it is checked against.
    static let expectedDocuments: [(document: String, schema: String)] = [
        ("Namespace/realign", "Kubernetes 1.32"),
        ("Deployment/realign-worker", "Kubernetes 1.32"),
        ("PodDisruptionBudget/realign-worker", "Kubernetes 1.32"),
        ("Kafka/realign", "kafka.json"),
        ("KafkaNodePool/dual-role", "kafkanodepool.json"),
        ("KafkaTopic/realign.jobs", "kafkatopic.json"),
        ("KafkaTopic/realign.requests", "kafkatopic.json"),
        ("KafkaTopic/realign.control", "kafkatopic.json"),
        ("KafkaTopic/realign.dlq", "kafkatopic.json"),
        ("ScaledObject/realign-worker", "scaledobject.json"),
        ("PersistentVolumeClaim/realign-teacher-work", "Kubernetes 1.32"),
        ("Job/realign-teacher", "Kubernetes 1.32"),
    ]

    @Test func manifestsRenderAndValidate() async throws {
        let outcome = try await CheckK8sScript.run()
        #expect(outcome.exitCode == 0, "\(outcome.transcript)")
        for (document, schema) in Self.expectedDocuments {
            #expect(outcome.lines.contains { $0.hasPrefix("ok   \(document) (") && $0.hasSuffix(" against \(schema)") },
                    "\(document) not validated against \(schema)\n\(outcome.transcript)")
        }
        // The teacher run's generated ConfigMap carries a content hash in its name.
        #expect(outcome.lines.contains { $0.hasPrefix("ok   ConfigMap/realign-teacher-run-") }, "\(outcome.transcript)")
        #expect(outcome.lines.contains("13 documents checked, 0 invalid"), "\(outcome.transcript)")
        #expect(outcome.lines.last == "check-k8s: manifests valid", "\(outcome.transcript)")
    }

    @Test func misspeltFieldOfABuiltInKindFails() async throws {
        let outcome = try await checkEdited { $0.replacingOccurrences(of: "terminationGracePeriodSeconds:", with: "terminationGracePeriodSecondss:") }
        #expect(outcome.exitCode == 1, "\(outcome.transcript)")
        #expect(outcome.lines.contains { $0.hasPrefix("FAIL Deployment/realign-worker (") && $0.contains("'terminationGracePeriodSecondss' was unexpected") },
                "\(outcome.transcript)")
        #expect(outcome.lines.last == "10 documents checked, 1 invalid", "\(outcome.transcript)")
    }

    @Test func misspeltFieldOfACustomResourceFails() async throws {
        // The node pool's `replicas` (kustomize sorts keys: only there is it followed by `resources`).
        let outcome = try await checkEdited { $0.replacingOccurrences(of: "\n  replicas: 3\n  resources:", with: "\n  replicass: 3\n  resources:") }
        #expect(outcome.exitCode == 1, "\(outcome.transcript)")
        let failures = outcome.lines.filter { $0.hasPrefix("FAIL ") }
        #expect(failures.count == 2, "\(outcome.transcript)")
        #expect(failures.contains { $0.hasPrefix("FAIL KafkaNodePool/dual-role (") && $0.hasSuffix("spec: 'replicas' is a required property") },
                "\(outcome.transcript)")
        #expect(failures.contains { $0.hasPrefix("FAIL KafkaNodePool/dual-role (") && $0.contains("'replicass' was unexpected") },
                "\(outcome.transcript)")
        #expect(outcome.lines.last == "10 documents checked, 1 invalid", "\(outcome.transcript)")
    }

    @Test func kindWithoutASchemaFails() async throws {
        let outcome = try await checkEdited { $0 + "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gadget\n" }
        #expect(outcome.exitCode == 1, "\(outcome.transcript)")
        #expect(outcome.lines.contains { $0.hasPrefix("FAIL Widget/gadget (") && $0.contains("no schema for kind Widget of apiVersion example.com/v1") },
                "\(outcome.transcript)")
        #expect(outcome.lines.last == "11 documents checked, 1 invalid", "\(outcome.transcript)")
    }

    /// Renders k8s/, applies `edit` to the text (which must change it), and checks the
    /// result as a file of rendered manifests.
    private func checkEdited(_ edit: (String) -> String) async throws -> CheckK8sScript.Outcome {
        let rendered = try await CheckK8sScript.run(["--render"])
        try #require(rendered.exitCode == 0, "\(rendered.transcript)")
        let edited = edit(rendered.output)
        try #require(edited != rendered.output, "the edit changed nothing")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-edited-\(UUID().uuidString).yaml").path
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await CheckK8sScript.run([path])
    }
}
