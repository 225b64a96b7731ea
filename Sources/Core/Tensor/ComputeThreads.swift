import COpenBLAS

/// The number of threads the numeric code may use: OpenBLAS's own pool and the
/// element-wise loops that `ParallelLoop` spreads over rows. OpenBLAS holds the value,
/// so there is one setting for both and no extra shared state.
public enum ComputeThreads {
    /// Sets the thread count (at least 1). Call it before starting work, not while a
    /// forward pass runs on another thread.
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// The current thread count.
    public static var count: Int {
        max(1, Int(openblas_get_num_threads()))
    }
}
