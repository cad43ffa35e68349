import Foundation
import TestSupport
import Testing

/// `cc_init_data` end to end: containerd passes the annotation, the shim
/// writes the initdata disk and attaches it, the guest's agent takes
/// `policy.rego` from it before serving, and that policy refuses exec.
@Suite(.serialized) struct InitDataVMTests {
    /// Kata's allow-all-except-exec-process sample, with every request rule.
    static let denyExecPolicy: String = {
        let allowed = [
            "AddARPNeighborsRequest", "AddSwapRequest", "AddSwapPathRequest", "CloseStdinRequest", "CopyFileRequest",
            "CreateContainerRequest", "CreateSandboxRequest", "DestroySandboxRequest", "GetDiagnosticDataRequest",
            "GetIPTablesRequest", "GetMetricsRequest", "GetOOMEventRequest", "GuestDetailsRequest", "ListInterfacesRequest",
            "ListRoutesRequest", "MemAgentCompactConfig", "MemAgentMemcgConfig", "MemHotplugByProbeRequest",
            "OnlineCPUMemRequest", "PauseContainerRequest", "ReadStreamRequest", "RemoveContainerRequest",
            "RemoveStaleVirtiofsShareMountsRequest", "ReseedRandomDevRequest", "ResizeVolumeRequest", "ResumeContainerRequest",
            "SetGuestDateTimeRequest", "SetIPTablesRequest", "SetPolicyRequest", "SignalProcessRequest", "StartContainerRequest",
            "StatsContainerRequest", "TtyWinResizeRequest", "UpdateContainerRequest", "UpdateEphemeralMountsRequest",
            "UpdateInterfaceRequest", "UpdateRoutesRequest", "VolumeStatsRequest", "WaitProcessRequest", "WriteStreamRequest",
        ]
        return "package agent_policy\n\n" + allowed.map { "default \($0) := true\n" }.joined()
            + "\n# no exec into the pod's containers\ndefault ExecProcessRequest := false\n"
    }()

    /// The annotation's value: base64 of gzip of the TOML document, as genpolicy writes it.
    static func annotation(in directory: String) throws -> String {
        let path = directory + "/initdata.toml"
        try "version = \"0.1.0\"\nalgorithm = \"sha256\"\n\n[data]\n\"policy.rego\" = '''\n\(denyExecPolicy)'''\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let gzip = try run(["gzip", "-kfn", path], package: "gzip")
        try #require(gzip.succeeded, "\(gzip.output)")
        return try Data(contentsOf: URL(fileURLWithPath: path + ".gz")).base64EncodedString()
    }

    @Test func policyFromInitDataRefusesExec() async throws {
        try await KataTestbed.with { testbed in
            let directory = try makeTemporaryDirectory("kinit")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // cc_init_data is off in plain qemu's enable_annotations: a drop-in turns it on.
            let shipped = try String(contentsOfFile: testbed.configPath, encoding: .utf8)
            let line = try #require(shipped.split(separator: "\n").first { $0.hasPrefix("enable_annotations = [") })
            let enabled = line.replacingOccurrences(of: "]", with: ", \"cc_init_data\"]")
            try "[hypervisor.qemu]\n\(enabled)\n".write(toFile: testbed.configDirectory + "/config.d/60-initdata.toml",
                                                           atomically: true, encoding: .utf8)
            let annotation = "io.katacontainers.config.hypervisor.cc_init_data=" + (try Self.annotation(in: directory))

            let started = try await testbed.ctrRun("idata1", ["sleep", "300"], options: ["-d", "--annotation", annotation])
            try #require(started.succeeded, "\(started.output)")
            try await testbed.waitUntil("idata1 running") { try await testbed.taskStatus(of: "idata1") == "RUNNING" }
            // Where Kata puts the disk, for as long as the sandbox lives.
            let disk = "/run/kata-containers/shared/initdata/idata1/data.img"
            #expect(FileManager.default.fileExists(atPath: disk))

            let exec = try await testbed.ctr(["task", "exec", "--exec-id", "e1", "idata1", "true"], timeout: 60)
            #expect(!exec.succeeded)
            #expect(exec.output.contains("ExecProcessRequest is blocked by policy"), "\(exec.output)")
            // The container itself is untouched by the refusal.
            #expect(try await testbed.taskStatus(of: "idata1") == "RUNNING")

            #expect(try await testbed.ctr(["task", "kill", "-s", "KILL", "idata1"]).succeeded)
            try await testbed.waitUntil("idata1 stopped") { try await testbed.taskStatus(of: "idata1") == "STOPPED" }
            #expect(try await testbed.ctr(["task", "delete", "idata1"]).succeeded)
            #expect(try await testbed.ctr(["container", "rm", "idata1"]).succeeded)
            try await testbed.expectNothingLeft(of: ["idata1"])
            #expect(!FileManager.default.fileExists(atPath: "/run/kata-containers/shared/initdata/idata1"))
        }
    }
}
