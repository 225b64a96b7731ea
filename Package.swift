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
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .executableTarget(name: "Worker", dependencies: ["Core"]),
        .executableTarget(name: "Coordinator", dependencies: ["Core"]),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
    ],
    swiftLanguageModes: [.v6]
)
