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
        .target(
            name: "Core",
            dependencies: ["CKafka", "COpenBLAS", "CCrypto"],
            // haswell is the x86-64-v3 feature set (AVX2, FMA, F16C): the SIMD kernels of
            // the quantised products need it to compile to vector code (README: requirements).
            swiftSettings: [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release))]
        ),
        .executableTarget(name: "Worker", dependencies: ["Core"]),
        .executableTarget(name: "Coordinator", dependencies: ["Core"]),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
    ],
    swiftLanguageModes: [.v6]
)
