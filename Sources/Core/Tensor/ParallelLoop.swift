import Dispatch

/// Runs independent iterations on up to `ComputeThreads.count` threads: the caller and
/// threads of the `ComputePool`.
enum ParallelLoop {
    /// Calls `body(i)` once for every `i` in `0..<count`. Worker `w` takes the indices
    /// `w, w + workers, w + 2·workers, …`, so rows of growing cost (causal attention)
    /// spread evenly. With one thread, or one index, it runs inline. Iterations must
    /// touch disjoint memory (each writes its own rows).
    static func run(count: Int, _ body: (Int) -> Void) {
        let workers = min(ComputeThreads.count, count)
        if workers <= 1 {
            for index in 0..<count { body(index) }
            return
        }
        if ComputePool.shared.run(count: count, participants: workers, body) { return }
        // The pool is busy (a loop inside a loop, or on another thread): Dispatch's threads.
        // `concurrentPerform` wants a `@Sendable` closure but returns only after every
        // iteration has finished, so `body` (and the buffers it captures) never
        // outlives this call; the disjoint-rows contract above rules out data races.
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < count {
                work(index)
                index += workers
            }
        }
    }
}
