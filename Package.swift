// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "runbook",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "runbook", targets: ["runbook"]),
        .library(
            name: "RunbookKit", targets: ["Wire", "RunbookLanguage", "RunbookModel", "Inventory", "Planning", "Transport", "RunEvents", "Execution"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // The shared state store (--state postgres://...); only PostgresStore imports it.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        // Not `CSystem`: swift-system (under swift-nio, under postgres-nio) has a target of that name.
        .target(name: "CRunbookSystem", path: "Sources/CSystem"),
        .target(name: "Wire"),
        .target(name: "RunbookLanguage"),
        .target(name: "RunbookModel", dependencies: ["RunbookLanguage"]),
        .target(name: "Inventory", dependencies: ["RunbookLanguage", "Wire", .product(name: "Yams", package: "Yams")]),
        .target(name: "Planning", dependencies: ["RunbookModel", "Inventory", "Supervisors", "Wire", "RunbookLanguage"]),
        .target(name: "Transport", dependencies: ["CLibSSH2", "CRunbookSystem", "Wire", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Checks", dependencies: ["Planning", "Transport", "Supervisors", "Wire", "RunbookModel"]),
        .target(name: "Supervisors", dependencies: ["RunbookModel", "Wire"]),
        .target(name: "RunEvents"),
        .target(name: "StateStore", dependencies: ["RunEvents", "Wire"]),
        .target(name: "Journal", dependencies: ["RunEvents", "StateStore"]),
        .target(name: "PostgresStore", dependencies: ["StateStore", "RunEvents", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .target(
            name: "Execution", dependencies: ["Planning", "Transport", "Checks", "Supervisors", "RunEvents", "Wire", "RunbookModel", "Inventory", "StateStore"]),
        .target(
            name: "RunbookCLI",
            dependencies: [
                "CRunbookSystem", "RunbookLanguage", "RunbookModel", "Inventory", "Planning", "Transport", "RunEvents", "Execution", "Journal", "StateStore",
                "Wire", "PostgresStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "runbook", dependencies: ["RunbookCLI"]),
        .testTarget(name: "RunbookLanguageTests", dependencies: ["RunbookLanguage"]),
        .testTarget(name: "RunbookModelTests", dependencies: ["RunbookModel", "RunbookLanguage", "Planning"]),
        .testTarget(name: "InventoryTests", dependencies: ["Inventory", "TestSupport", "Wire", "RunbookLanguage"]),
        .testTarget(name: "PlanningTests", dependencies: ["Planning", "TestSupport", "Wire", "Inventory", "RunbookLanguage", "RunbookModel"]),
        .target(name: "TestSupport", dependencies: ["Transport", "Wire"], path: "Tests/Support"),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport", "Inventory", "Execution", "Wire"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "Planning"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "TestSupport"]),
        .testTarget(name: "SupervisorsTests", dependencies: ["Supervisors", "Wire", "RunbookModel"]),
        .testTarget(name: "RunEventsTests", dependencies: ["RunEvents"]),
        .testTarget(name: "RunbookCLITests", dependencies: ["RunbookCLI", "RunEvents"]),
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore", "RunEvents", "StateStore", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "RunEvents", "Execution", "Checks", "Planning", "Inventory", "Transport", "TestSupport", "Wire", "RunbookLanguage", "RunbookModel",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
