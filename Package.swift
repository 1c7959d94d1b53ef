// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "sweep",
    products: [
        .executable(name: "sweep", targets: ["sweep"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "SweepSimulation", targets: ["SweepSimulation"]),
        .executable(name: "sweep-bench", targets: ["SweepBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Thin C modules: each only exposes a system library to Swift.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ",
                       providers: [.apt(["libzmq3-dev"])]),

        // The training core's C: SIMD kernels (optimisers, the rotation's sampling) and a prefetch hint.
        .target(name: "CKernels"),
        // Process supervision Swift cannot spell: the supervisor of program trials, prctl, pipes.
        .target(name: "CProcess"),

        // What every part speaks, with no dependency: values (a program's as Python has them), metrics
        // by name, a trial's status, what a program trial's worker is sent, seeded randomness, the
        // numbers and cells people read, "did you mean", exit statuses.
        .target(name: "SweepCore"),

        // Files on swift-system: an owned (~Copyable) FileDescriptor, what swift-system does not wrap
        // (fsync, flock, directories), errors with the operation and the path.
        .target(name: "SystemCalls", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),

        // One config -> per-epoch metrics. Knows nothing of sweeps or sockets.
        .target(name: "Training", dependencies: ["CBLAS", "CZlib", "CKernels", "SweepCore"]),

        // What a sweep is: its settings and parameters, trials as points of named values and the runner
        // that trains them, their ids, records and columns, ranking. No parsing, no files, no sockets.
        .target(name: "Sweeping", dependencies: ["SweepCore", "Training"]),
        // Reading sweep files (YAML, W&B's schema, every mistake in one pass) into a `SweepSpec`.
        .target(name: "SweepFiles", dependencies: ["SweepCore", "Training", "Sweeping", "SystemCalls", .product(name: "Yams", package: "Yams")]),

        // The results folder on disk: the CSVs with their durable group commit and quarantine,
        // checkpoints and kept models, the folder's identity and the sweeps that ran there, runs.csv.
        .target(name: "ResultsStore", dependencies: ["SweepCore", "Sweeping", "SweepFiles", "SystemCalls", "Training"]),

        // Every decision of a sweep (dispatch, liveness, retries, bayes, early termination, its end),
        // apart from I/O: no sockets, no clock, no files. Tested with scripted events and virtual time.
        .target(name: "Scheduling", dependencies: ["SweepCore", "Sweeping", "Training"]),

        // A simulated fleet around a scheduler (scripted workers, virtual time, kills and restarts), as
        // swift-nio ships NIOEmbedded: what the scheduling tests and Scripts/bench drive. No sockets, no files.
        .target(name: "SweepSimulation", dependencies: ["SweepCore", "Sweeping", "Training", "Scheduling"]),

        // The wire protocol's messages (one JSON object a frame): what crosses, apart from how.
        .target(name: "Wire", dependencies: ["SweepCore", "Training"]),
        // libzmq sockets as owned Swift values, CURVE keys and the ZAP handler: how it crosses.
        .target(name: "Messaging", dependencies: ["CZeroMQ"]),

        // The HTML report (inline SVG charts), from the CSVs only.
        .target(name: "Reporting", dependencies: ["SweepCore", "Sweeping", "ResultsStore", "Training", "CZlib", .product(name: "Plot", package: "Plot")]),

        // Running someone's program as a trial: W&B's command macros, a supervised child in its own
        // process group (no orphans), its metric lines and capped log.
        .target(name: "Programs", dependencies: ["CProcess", "SystemCalls", "SweepCore"]),

        // The two roles: hand out trials and record results / connect, train, report.
        .target(name: "Coordinator", dependencies: ["SweepCore", "Wire", "Messaging", "Programs", "Scheduling", "Sweeping", "ResultsStore", "SystemCalls", "Training"]),
        .target(name: "Worker", dependencies: ["SweepCore", "Wire", "Messaging", "Programs", "Training", "CProcess", "SystemCalls", .product(name: "Logging", package: "swift-log")]),

        // Watching a sweep from outside, over HTTP (Hummingbird): Prometheus metrics fed from the
        // coordinator's events (atomic updates on its thread, read by the server's), and `sweep serve`'s
        // live pages, which only read what the coordinator writes.
        .target(name: "Monitoring", dependencies: ["SweepCore", "Sweeping", "Scheduling", "Reporting", "ResultsStore",
                                                   .product(name: "Hummingbird", package: "hummingbird"),
                                                   .product(name: "NIOCore", package: "swift-nio"),
                                                   .product(name: "Logging", package: "swift-log"),
                                                   .product(name: "Prometheus", package: "swift-prometheus")]),

        // What only Scripts/bench uses: many no-op workers in one process, apart from the real worker.
        .target(name: "Benchmarking", dependencies: ["SweepCore", "Wire", "Messaging", "Training", "SystemCalls"]),

        // Scripts/bench scheduler: the scheduler's decisions/s through the simulated fleet, and a bayes
        // proposal's time, apart from the shipped binary.
        .executableTarget(name: "SweepBench", dependencies: ["SweepCore", "Sweeping", "SweepFiles", "Training", "Scheduling", "SweepSimulation"]),

        // The command line: parses arguments and calls the libraries.
        .executableTarget(
            name: "sweep",
            dependencies: [
                "SweepCore", "Training", "Sweeping", "SweepFiles", "ResultsStore", "Scheduling", "Wire", "Messaging", "Coordinator", "Worker", "Reporting", "SystemCalls", "Programs", "Benchmarking", "Monitoring", "SweepSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // What the tests share: one scratch-folder type, one process runner, results read through the store.
        .target(name: "SweepTestSupport", dependencies: ["SweepCore", "Sweeping", "SweepFiles", "ResultsStore", "Training"], path: "Tests/SweepTestSupport"),

        .testTarget(name: "TrainingTests", dependencies: ["SweepCore", "Training", "CZlib", "SweepTestSupport"]),
        .testTarget(name: "SweepCLITests", dependencies: ["SweepCore", "ResultsStore", "Wire", "sweep", "Training", "Messaging", "Programs", "Sweeping", "SweepFiles", "SweepTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "MessagingTests", dependencies: ["SweepCore", "Wire", "Messaging"]),
        .testTarget(name: "SweepingTests", dependencies: ["SweepCore", "ResultsStore", "Sweeping", "SweepFiles", "Programs", "SweepTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ProgramsTests", dependencies: ["SweepCore", "Programs", "SweepTestSupport"]),
        .testTarget(name: "WorkerTests", dependencies: ["SweepCore", "Wire", "Worker", "Messaging", "Programs", "Training"]),
        .testTarget(name: "SchedulingTests", dependencies: ["SweepCore", "Scheduling", "SweepSimulation", "Sweeping", "SweepFiles", "Programs", "Training"]),
        .testTarget(name: "ReportingTests", dependencies: ["SweepCore", "ResultsStore", "Reporting", "Sweeping", "SweepFiles", "Training", "SweepTestSupport"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "ResultsStore", "SweepTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
