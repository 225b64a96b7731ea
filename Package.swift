// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "realign",
    products: [
        .executable(name: "realign", targets: ["Coordinator"]),
        .executable(name: "realign-worker", targets: ["Worker"]),
        .library(name: "RealignCore", targets: ["Core"]),
    ],
    targets: [
        .systemLibrary(name: "CKafka", path: "Sources/CKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // Header-only: the CPU's spin-wait hint for the compute pool's threads.
        .systemLibrary(name: "CSpinWait", path: "Sources/CSpinWait"),
        // Header-only: whether the CPU and OS run QuantizedKernelsAVX512.
        .systemLibrary(name: "CCPUFeatures", path: "Sources/CCPUFeatures"),
        // The int8 products of many rows in AVX-512 VNNI. Its own target because Core must
        // run on x86-64-v3 machines without AVX-512: Core enters it only after checking the
        // CPU (CCPUFeatures). cascadelake is the oldest CPU with AVX512 F/BW/VL/DQ + VNNI.
        .target(
            name: "QuantizedKernelsAVX512",
            swiftSettings: [.unsafeFlags(["-target-cpu", "cascadelake"]),
                            .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "Core",
            dependencies: ["CKafka", "COpenBLAS", "CCrypto", "CSpinWait", "CCPUFeatures", "QuantizedKernelsAVX512"],
            // haswell is the x86-64-v3 feature set (AVX2, FMA, F16C): the quantised products'
            // kernels are written in its intrinsics, so every configuration needs it
            // (README: requirements).
            swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"]),
                            .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .executableTarget(name: "Worker", dependencies: ["Core"]),
        .executableTarget(name: "Coordinator", dependencies: ["Core"]),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
    ],
    swiftLanguageModes: [.v6]
)
