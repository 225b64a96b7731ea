import CCPUFeatures
import COpenBLAS
import Foundation

/// Which of OpenBLAS's kernel sets the process runs. A DYNAMIC_ARCH build (Debian's)
/// picks one as it loads, from the CPU model or from `OPENBLAS_CORETYPE`, before any
/// code of ours runs. A CPU model newer than the library gets its generic SSE3 kernels
/// ("Prescott"): Debian 12's 0.3.21 does so on Sapphire and Emerald Rapids Xeons, where
/// sgemm then runs at a quarter of its SkylakeX kernels' rate (35 against 150 GFLOP/s at
/// 512x1536x576 on 2 threads). Every product of the exact path, attention and the
/// training steps go through sgemm, so the executables correct the choice at start-up.
public enum OpenBLASKernels {
    /// OpenBLAS's name of the kernel set in use (`Haswell`, `SkylakeX`, `Zen`, ...).
    public static var current: String { String(cString: openblas_get_corename()) }

    /// The generic kernels OpenBLAS falls back to for a CPU model it does not know.
    static let fallback = "Prescott"

    /// The kernel set this CPU runs best of those the library surely has: every CPU this
    /// product runs on has AVX2 and FMA (x86-64-v3, Haswell's), some AVX-512 as well.
    static var suited: String { cpu_runs_avx512_core() != 0 ? "SkylakeX" : "Haswell" }

    /// Restarts the process (same executable, arguments and pid) with `OPENBLAS_CORETYPE`
    /// naming `suited` when OpenBLAS fell back to its generic kernels and the variable is
    /// not set already (then the choice is the user's, or this restart's). Call it first
    /// thing in `main`; it returns only when no restart is needed or `execv` failed, and
    /// the process goes on with the kernels it has.
    public static func restartWithSuitedKernelsIfNeeded() {
        guard current == fallback, getenv("OPENBLAS_CORETYPE") == nil else { return }
        setenv("OPENBLAS_CORETYPE", suited, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        Log.warn("OpenBLAS runs its generic kernels: the restart with suited ones failed",
                 ["openblas_coretype": .string(suited), "error": .string(String(cString: strerror(errno)))])
    }
}
