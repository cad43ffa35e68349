import Foundation
import Shim
import TestSupport
import Testing

/// containerd-shim-kata-v2 driven by a real containerd 1.6.20 through `ctr`,
/// each container in its own TCG VM. Serialized: one VM at a time.
@Suite(.serialized) struct ShimContainerdTests {
    @Test func runPrintsTheGuestKernelAndExitCodes() async throws {
        try await KataTestbed.with { testbed in
            let guest = try KataTestbed.guestKernelRelease()
            let uname = try await testbed.ctrRun("t1", ["uname", "-r"])
            #expect(uname.succeeded, "\(uname.output)")
            #expect(uname.output.trimmingCharacters(in: .whitespacesAndNewlines) == guest)
            let host = try output(of: ["uname", "-r"]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(guest != host, "the guest kernel must differ from the host's to prove anything")
            let exit3 = try await testbed.ctrRun("t2", ["sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(exit3.status == 3, "\(exit3.output)")
            #expect(exit3.output.contains("out") && exit3.output.contains("err"))
            try await testbed.expectNothingLeft(of: ["t1", "t2"])
        }
    }

    /// A configuration this host cannot run fails the create with what
    /// `kata-runtime check` says, before any process is started.
    @Test func hostThatCannotRunTheConfigurationIsNamed() async throws {
        try await KataTestbed.with { testbed in
            let shipped = testbed.configDirectory + "/shipped/configuration-qemu.toml"
            try FileManager.default.createDirectory(atPath: testbed.configDirectory + "/shipped", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: packageRoot + "/configuration/configuration-qemu.toml", toPath: shipped)
            let result = try await testbed.ctr(["run", "--rm", "--runtime", "io.containerd.kata.v2", "--runtime-config-path", shipped,
                                                TestImages.busyboxReference, "nohost", "true"])
            #expect(!result.succeeded)
            let lacking = ["/sys/module/kvm_pvm"].contains { FileManager.default.fileExists(atPath: $0) }
                || ["/dev/vhost-vsock", "/dev/vhost-net"].contains { !FileManager.default.fileExists(atPath: $0) }
            if lacking {
                #expect(result.output.contains("this host cannot run \(shipped)"), "\(result.output)")
            }
            if FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm") {
                #expect(result.output.contains("kvm_pvm") && result.output.contains("accelerator = \"tcg\""), "\(result.output)")
            }
            if !FileManager.default.fileExists(atPath: "/dev/vhost-vsock") {
                #expect(result.output.contains("agent_channel = \"virtio-serial\""), "\(result.output)")
            }
            try await testbed.expectNothingLeft(of: ["nohost"])
        }
    }

    /// The policy annotation (`io.katacontainers.config.agent.policy`, base64
    /// Rego) reaches the agent before CreateSandbox: `ctr task exec` is refused
    /// with one readable line, and kill and delete still work.
    @Test func policyAnnotationRefusesExec() async throws {
        try await KataTestbed.with { testbed in
            let rego = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/configuration/policies/allow-all-except-exec-process.rego"))
            let started = try await testbed.ctrRun("pol1", ["sleep", "300"], options: [
                "-d", "--annotation", "io.katacontainers.config.agent.policy=" + rego.base64EncodedString()])
            #expect(started.succeeded, "\(started.output)")
            let exec = try await testbed.ctr(["task", "exec", "--exec-id", "x1", "pol1", "true"])
            #expect(!exec.succeeded)
            let message = exec.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(message.contains("ExecProcessRequest is blocked by policy"), "\(message)")
            #expect(!message.contains("\n"), "not one line: \(message)")
            try await testbed.remove("pol1")
            try await testbed.expectNothingLeft(of: ["pol1"])
        }
    }

    /// A container over its memory limit is killed in the guest; containerd hears TaskOOM, then the exit (137).
    @Test func outOfMemoryBecomesTaskOOM() async throws {
        try await KataTestbed.with { testbed in
            let events = try testbed.containerd.subscribeToEvents()
            defer { events.stop() }
            try await Task.sleep(nanoseconds: 300_000_000)
            let run = try await testbed.ctrRun("oom1", ["sh", "-c", "tail /dev/zero"], options: ["--rm", "--memory-limit", "\(32 << 20)"])
            #expect(run.status == 137, "\(run.output)")
            try await events.waitFor("TaskOOM of oom1", timeout: 20) { KataTestbed.topics(in: events.log, for: "oom1").contains("/tasks/oom") }
            let topics = KataTestbed.topics(in: events.log, for: "oom1")
            #expect(topics.firstIndex(of: "/tasks/oom").map { $0 < (topics.firstIndex(of: "/tasks/delete") ?? .max) } == true, "\(topics)")
            try await testbed.expectNothingLeft(of: ["oom1"])
        }
    }

    /// `ctr run --log-uri`: stdout into a file (`file://`) or to a logging binary (`binary://`).
    @Test func logURIs() async throws {
        try await KataTestbed.with { testbed in
            let directory = try makeTemporaryDirectory("klog")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let logger = directory + "/logger.sh"
            try "#!/bin/sh\n# containerd's binary log protocol: stdout on fd 3, stderr on fd 4, ready = close fd 5\nexec 5>&-\ncat <&3 >> \"$1\"\n"
                .write(toFile: logger, atomically: true, encoding: .utf8)
            chmod(logger, 0o755)
            for (id, uri, file) in [("f1", "file://\(directory)/file.log", "\(directory)/file.log"),
                                    ("b1", "binary://\(logger)?\(directory)/binary.log", "\(directory)/binary.log")] {
                let started = try await testbed.ctrRun(id, ["sh", "-c", "echo via-\(id)"], options: ["-d", "--log-uri", uri])
                #expect(started.succeeded, "\(started.output)")
                try await testbed.waitUntil("\(id) stopped") { try await testbed.taskStatus(of: id) == "STOPPED" }
                #expect(try await testbed.ctr(["task", "delete", id]).succeeded)
                #expect(try await testbed.ctr(["container", "rm", id]).succeeded)
                try await testbed.waitUntil("\(file) written") {
                    ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("via-\(id)")
                }
            }
            try await testbed.expectNothingLeft(of: ["f1", "b1"])
        }
    }
}
