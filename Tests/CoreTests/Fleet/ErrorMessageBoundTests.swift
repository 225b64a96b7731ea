import Testing
@testable import Core

/// `JobWorker.bounded`: error messages quote jobs, so the worker cuts them to a size
/// that fits in a reply and a header.
@Suite struct ErrorMessageBoundTests {
    @Test func aMessageWithinTheLimitIsKept() {
        let message = String(repeating: "a", count: JobWorker.maxErrorMessageBytes)
        #expect(JobWorker.bounded(message) == message)
        #expect(JobWorker.bounded("") == "")
    }

    @Test func aLongerMessageIsCutAtACharacterBoundaryWithAnEllipsis() {
        // "…" takes 3 of the 2048 bytes; "é" is 2 bytes, so 1022 of them fill 2044 and the
        // 1023rd would straddle the cut: it is left out whole.
        let bounded = JobWorker.bounded(String(repeating: "é", count: 5000))
        #expect(bounded == String(repeating: "é", count: 1022) + "…")
        #expect(bounded.utf8.count == JobWorker.maxErrorMessageBytes - 1)
        #expect(JobWorker.bounded(String(repeating: "b", count: 3000)) == String(repeating: "b", count: 2045) + "…")
    }
}
