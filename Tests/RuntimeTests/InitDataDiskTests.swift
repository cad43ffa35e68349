import Foundation
import KataConfig
import Logging
import Protocols
@testable import Runtime
import TestSupport
import Testing

/// The shim's half of `cc_init_data`: the disk is written where Kata writes
/// it, handed to QEMU with serial `initdata`, and removed with the sandbox.
/// QEMU is a script that records its argv and a copy of the disk, then
/// exits, so the boot fails at once and tears down as a failed boot does.
@Suite(.serialized, .timeLimit(.minutes(1))) struct InitDataDiskTests {
    /// `version`, `algorithm`, a deny-exec policy, gzip'd and base64'd as the annotation carries it.
    static func annotation(in directory: String) throws -> String {
        let path = directory + "/initdata.toml"
        try "version = \"0.1.0\"\nalgorithm = \"sha384\"\n[data]\n\"policy.rego\" = '''\npackage agent_policy\ndefault ExecProcessRequest := false\n'''\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try run(["gzip", "-kfn", path], package: "gzip")
        #expect(result.succeeded, "\(result.output)")
        return try Data(contentsOf: URL(fileURLWithPath: path + ".gz")).base64EncodedString()
    }

    static let fakeQEMU = """
        #!/bin/sh
        # Records what the sandbox gave QEMU, then fails as a bad argument would.
        dir=$(dirname "$0")
        printf '%s\\n' "$@" > "$dir/argv"
        for arg; do
            case "$arg" in
            id=initdata,file=*) f=${arg#id=initdata,file=}; cp "${f%%,aio=*}" "$dir/copy.img" ;;
            esac
        done
        echo "fake QEMU: exiting" >&2
        exit 1
        """

    static func configuration(qemu: String, image: String) throws -> KataConfiguration {
        var configuration = try ConfigurationLoader(searchPath: [], environment: [:])
            .load(configPath: packageRoot + "/configuration/configuration-qemu.toml").configuration
        configuration.hypervisor.path = qemu
        configuration.hypervisor.image = image
        configuration.hypervisor.initrd = nil
        configuration.hypervisor.agentChannel = .virtioSerial
        configuration.hypervisor.sharedFS = .none
        return configuration
    }

    func boot(_ configuration: SandboxConfiguration, directory: String) async throws -> (error: String, paths: SandboxPaths) {
        let paths = SandboxPaths(sandboxID: "sbx-\(UInt32.random(in: 0..<UInt32.max))", root: directory + "/root")
        // A network namespace of its own without a path: no pod network to attach.
        var spec = Grpc_Spec()
        spec.linux.namespaces = [Grpc_LinuxNamespace.with { $0.type = "network" }]
        let request = Sandbox.BootRequest(sandboxID: paths.sandboxID, spec: spec, workload: WorkloadResources(),
                                          host: .probe(), paths: paths)
        do {
            _ = try await Sandbox.boot(request, configuration: configuration, logger: Logger(label: "initdata-test"))
            Issue.record("the fake QEMU booted")
            return ("", paths)
        } catch {
            return ("\(error)", paths)
        }
    }

    @Test func diskIsWrittenAttachedAndRemoved() async throws {
        let directory = try makeTemporaryDirectory("initdata-rt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.fakeQEMU.write(toFile: directory + "/qemu", atomically: true, encoding: .utf8)
        chmod(directory + "/qemu", 0o755)
        _ = FileManager.default.createFile(atPath: directory + "/guest.img", contents: Data(count: 4096))
        var sandbox = SandboxConfiguration(configuration: try Self.configuration(qemu: directory + "/qemu", image: directory + "/guest.img"))
        let initData = try InitData(annotation: try Self.annotation(in: directory))
        sandbox.initData = initData

        let (error, paths) = try await boot(sandbox, directory: directory)
        #expect(error.contains("fake QEMU: exiting"), "\(error)")
        #expect(paths.initDataImage == directory + "/root/run/kata-containers/shared/initdata/\(paths.sandboxID)/data.img")
        let argv = try String(contentsOfFile: directory + "/argv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(argv.contains("virtio-blk-pci,disable-modern=false,drive=initdata,config-wce=off,serial=initdata"), "\(argv)")
        #expect(argv.contains("id=initdata,file=\(paths.initDataImage),aio=threads,format=raw,if=none"), "\(argv)")
        // Exactly the host's layout, byte for byte, as QEMU saw it.
        let copy = try Data(contentsOf: URL(fileURLWithPath: directory + "/copy.img"))
        #expect([UInt8](copy) == initData.diskImage())
        #expect(copy.count % 512 == 0)
        // The failed boot's teardown took the disk and its directory with it.
        #expect(!FileManager.default.fileExists(atPath: paths.initDataDirectory))
        #expect(paths.directories.contains(paths.initDataDirectory))
    }

    @Test func noInitDataNoDisk() async throws {
        let directory = try makeTemporaryDirectory("initdata-rt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.fakeQEMU.write(toFile: directory + "/qemu", atomically: true, encoding: .utf8)
        chmod(directory + "/qemu", 0o755)
        _ = FileManager.default.createFile(atPath: directory + "/guest.img", contents: Data(count: 4096))
        let sandbox = SandboxConfiguration(configuration: try Self.configuration(qemu: directory + "/qemu", image: directory + "/guest.img"))
        let (error, paths) = try await boot(sandbox, directory: directory)
        #expect(error.contains("fake QEMU: exiting"), "\(error)")
        let argv = try String(contentsOfFile: directory + "/argv", encoding: .utf8)
        #expect(!argv.contains("serial=initdata") && !argv.contains("id=initdata"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/root/run/kata-containers/shared/initdata/" + paths.sandboxID))
    }
}
