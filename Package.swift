// swift-tools-version:6.1
import PackageDescription

// One build configuration for tests (debug) and one for shipped binaries
// (release, `-static-executable`, in its own scratch path: see the Makefile).
let package = Package(
    name: "kata-shim",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TTRPC", targets: ["TTRPC"]),
        .library(name: "Protocols", targets: ["Protocols"]),
        .library(name: "Agent", targets: ["Agent"]),
        .executable(name: "ttrpc-bench", targets: ["ttrpc-bench"]),
        .executable(name: "kata-agent", targets: ["kata-agent"]),
        .executable(name: "containerd-shim-kata-v2", targets: ["containerd-shim-kata-v2"]),
        .executable(name: "kata-runtime", targets: ["kata-runtime"]),
        .executable(name: "kata-snapshotter", targets: ["kata-snapshotter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // No traits: the default `BinaryDelimitedStreams` trait imports full
        // Foundation (and ICU), which would triple the static binaries.
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", exact: "0.6.0"),
        // gRPC for the snapshotter only (containerd's proxy plugins speak gRPC, not ttrpc).
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    ],
    targets: [
        // What Glibc hides from Swift: GNU posix_spawn extensions, pidfd, setns, the vhost-vsock ioctl.
        .target(name: "CLinux"),

        // The agent's policy check: a Rego subset, pure Swift (no Foundation) for the static guest binary.
        .target(name: "AgentPolicy"),

        // Children with an exact descriptor map, reaped by us (all of them for a subreaper or PID 1).
        .target(
            name: "ChildProcesses",
            dependencies: [
                "CLinux",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // zlib's inflate, for the gzip payload of cc_init_data (Debian's zlib1g-dev).
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        // Bounded gzip decompression on CZlib (initdata on the host and in the guest).
        .target(name: "Gzip", dependencies: ["CZlib"]),

        // Kata's configuration files, drop-ins, annotations and kernel command line; no processes, no sockets.
        .target(
            name: "KataConfig",
            dependencies: ["Gzip", "Digests", .product(name: "TOMLKit", package: "TOMLKit")]
        ),

        // File and directory operations on Glibc (agent and host alike).
        .target(name: "Files"),

        // SHA-2 in plain Swift (initdata digests, the shim's socket name).
        .target(name: "Digests"),

        // Confidential Containers' guest pull: an OCI registry client over plain
        // HTTP and the layer unpacker, without Foundation, for the static guest agent.
        .target(name: "ImagePull", dependencies: ["CZlib", "Digests", "Files"]),

        // Generated swift-protobuf messages (`make proto`); no transport.
        .target(
            name: "Protocols",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // ttrpc framing, client and server on SwiftNIO; knows nothing of containerd or Kata.
        .target(
            name: "TTRPC",
            dependencies: [
                "Protocols",
                "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The OCI runtime spec as config.json spells it, and its agent-protocol
        // (protobuf) form, both ways; no I/O.
        .target(name: "OCI", dependencies: ["Protocols"]),

        // The development guest agent: serves grpc.AgentService and grpc.Health
        // over vsock / virtio-serial (or a unix socket on the host), runs
        // containers with crun.
        .target(
            name: "GuestAgent",
            dependencies: [
                "TTRPC", "Protocols", "CLinux", "AgentPolicy", "ChildProcesses", "OCI", "Files", "ImagePull", "Gzip",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // QEMU: the command line, QMP, the VM process; knows nothing of containerd.
        .target(
            name: "Hypervisor",
            dependencies: [
                "CLinux", "ChildProcesses", "KataConfig", "Files",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The typed host-side client of the kata agent.
        .target(
            name: "Agent",
            dependencies: [
                "TTRPC", "Protocols",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "kata-agent",
            dependencies: [
                "GuestAgent", "TTRPC", "ChildProcesses", "Protocols", "Files",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The domain: a sandbox (VM, shared directory, agent) and its
        // containers and processes; knows nothing of containerd.
        .target(
            name: "Runtime",
            dependencies: [
                "Agent", "Hypervisor", "KataConfig", "OCI", "ChildProcesses", "CLinux", "Protocols", "TTRPC", "Files",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // containerd plumbing: start / delete forms, the socket address, the Task service.
        .target(
            name: "Shim",
            dependencies: [
                "Digests", "Protocols", "Runtime", "TTRPC", "OCI", "Agent", "KataConfig", "ChildProcesses", "CLinux", "Files",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "containerd-shim-kata-v2",
            dependencies: ["Shim", "ChildProcesses", "CLinux"]
        ),

        // Node installation: Kata's /opt/kata layout and containerd's runtime
        // handlers (backup, idempotent edit, restore); no processes.
        .target(
            name: "Installer",
            dependencies: ["Files", "KataConfig", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // The operator's commands: check, env, metrics, install, uninstall.
        .target(
            name: "KataRuntimeCommands",
            dependencies: [
                "KataConfig", "Installer", "Files", "CLinux", "ChildProcesses", "Runtime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "kata-runtime", dependencies: ["KataRuntimeCommands"]),

        // containerd's snapshot service (gRPC messages and service stubs,
        // `make proto`); its own target so that gRPC stays out of `Protocols`.
        .target(
            name: "SnapshotsProtocol",
            dependencies: [
                "Protocols",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        // Guest pull's proxy snapshotter: snapshot records, their persistence
        // and the Kata virtual volume its mounts carry; no gRPC.
        .target(
            name: "GuestPullSnapshotter",
            dependencies: ["Files", .product(name: "Logging", package: "swift-log")]
        ),
        // Serves GuestPullSnapshotter as containerd's Snapshots gRPC service on a unix socket.
        .executableTarget(
            name: "kata-snapshotter",
            dependencies: [
                "GuestPullSnapshotter", "SnapshotsProtocol", "Protocols", "Files",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Allocation counter for benchmarks: wraps malloc at static link time.
        .target(name: "CAllocCounter", path: "bench/CAllocCounter"),
        .executableTarget(
            name: "ttrpc-bench",
            dependencies: [
                "TTRPC", "Protocols", "CAllocCounter",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/ttrpc-bench",
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "--wrap=malloc", "-Xlinker", "--wrap=calloc",
                    "-Xlinker", "--wrap=realloc", "-Xlinker", "--wrap=posix_memalign",
                    "-Xlinker", "--wrap=aligned_alloc",
                ])
            ]
        ),

        .executableTarget(
            name: "vm-bench",
            dependencies: [
                "Agent", "Hypervisor", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/vm-bench"
        ),

        .testTarget(
            name: "TTRPCTests",
            dependencies: [
                "TTRPC", "Protocols", "CLinux", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Helpers for tests: commands, a private containerd.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/TestSupport"
        ),
        // Against real peers: containerd's own ttrpc server, an independent decoder.
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "TTRPC", "Protocols", "TestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(name: "CLinuxTests", dependencies: ["CLinux"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "OCI", "Protocols", "KataConfig", "TestSupport"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "Protocols"]),
        .testTarget(
            name: "ShimTests",
            dependencies: [
                "Shim", "Protocols", "TestSupport", "TTRPC", "Agent", "ChildProcesses",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "HypervisorTests",
            dependencies: ["Hypervisor", "KataConfig", "Agent", "ChildProcesses", "TestSupport"],
            exclude: ["Golden"]
        ),
        .testTarget(name: "ImagePullTests", dependencies: ["ImagePull", "Digests", "Files", "TestSupport"], exclude: ["make_layer.py"]),
        .testTarget(name: "AgentPolicyTests", dependencies: ["AgentPolicy"]),
        .testTarget(name: "InstallerTests", dependencies: ["Installer", "KataConfig", "TestSupport"]),
        .testTarget(name: "KataRuntimeCommandsTests", dependencies: ["KataRuntimeCommands", "KataConfig", "TestSupport"]),
        .testTarget(name: "KataConfigTests", dependencies: ["KataConfig", "Digests"], exclude: ["Fixtures"]),
        .testTarget(
            name: "GuestAgentTests",
            dependencies: [
                "GuestAgent", "Agent", "TTRPC", "Protocols", "CLinux", "TestSupport", "KataConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GuestPullSnapshotterTests",
            dependencies: ["GuestPullSnapshotter", "Files", "TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ProtocolsTests",
            dependencies: [
                "Protocols", "TestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ]
)
