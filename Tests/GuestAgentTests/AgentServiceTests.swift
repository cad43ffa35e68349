import Agent
import Foundation
import Protocols
import SwiftProtobuf
import TestSupport
import Testing
import TTRPC

/// The agent's non-container RPCs, policy and kernel parameters, against the
/// real agent on this host.
@Suite(.serialized, .timeLimit(.minutes(1))) struct AgentServiceTests {
    @Test func copyFileWritesFilesDirectoriesAndLinksWithTheirModes() async throws {
        try await HostAgent.with { agent in
            let base = agent.stateDirectory + "/shared/containers/c1"
            let content = Array("line one\nline two\n".utf8)
            for (offset, chunk) in [(0, Array(content[0..<9])), (9, Array(content[9...]))] {
                try await agent.client.copyFile(Grpc_CopyFileRequest.with {
                    $0.path = base + "/etc/hostname"; $0.fileSize = Int64(content.count); $0.fileMode = 0o100640
                    $0.dirMode = 0o40750; $0.uid = 1234; $0.gid = 4321; $0.offset = Int64(offset); $0.data = Data(chunk)
                })
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: base + "/etc/hostname")
            #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/etc/hostname")) == Data(content))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
            #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 1234)
            #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue == 4321)
            let dirAttributes = try FileManager.default.attributesOfItem(atPath: base + "/etc")
            #expect((dirAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o750)

            try await agent.client.copyFile(Grpc_CopyFileRequest.with {
                $0.path = base + "/etc/localtime"; $0.fileMode = 0o120777; $0.data = Data("/usr/share/zoneinfo/UTC".utf8)
            })
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: base + "/etc/localtime") == "/usr/share/zoneinfo/UTC")
            try await agent.client.copyFile(Grpc_CopyFileRequest.with { $0.path = base + "/data"; $0.fileMode = 0o40700 })
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: base + "/data", isDirectory: &isDirectory) && isDirectory.boolValue)

            for bad in ["/etc/passwd", agent.stateDirectory + "/../escape", "relative/path"] {
                do {
                    try await agent.client.copyFile(Grpc_CopyFileRequest.with { $0.path = bad; $0.data = Data("x".utf8) })
                    Issue.record("CopyFile to \(bad) should fail")
                } catch let error as AgentCallError {
                    #expect(error.status.code == .invalidArgument)
                    #expect(error.status.message.contains("must be under"))
                }
            }
        }
    }

    @Test func guestDetailsMetricsAndDiagnostics() async throws {
        try await HostAgent.with { agent in
            let details = try await agent.client.guestDetails()
            #expect(details.agentDetails.initDaemon == false, "not PID 1 on a host")
            #expect(details.agentDetails.storageHandlers == ["local", "ephemeral", "virtio-fs", "9p", "image_guest_pull"])
            #expect(details.agentDetails.supportsSeccomp)
            let blockSize = (try? String(contentsOfFile: "/sys/devices/system/memory/block_size_bytes", encoding: .utf8))
                .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) } ?? 0
            #expect(details.memBlockSizeBytes == blockSize)

            // The termination message a container leaves in /dev/termination-log.
            let log = agent.directory + "/termination-log"
            FileManager.default.createFile(atPath: log, contents: nil)
            try await agent.createContainer("term", ["sh", "-c", "echo goodbye > /dev/termination-log"], extraMounts: [
                Grpc_Mount.with { $0.destination = "/dev/termination-log"; $0.source = log; $0.type = "bind"; $0.options = ["rbind", "rw"] },
            ])
            try await agent.client.startContainer("term")
            #expect(try await agent.client.waitProcess(container: "term", exec: "term") == 0)
            #expect(try await agent.client.diagnosticData(container: "term", logType: "termination-log") == "goodbye\n")
            await #expect(throws: AgentCallError.self) { _ = try await agent.client.diagnosticData(container: "term", logType: "core-dump") }
            try await agent.client.removeContainer("term")

            let metrics = try await agent.client.metrics()
            #expect(metrics.contains("kata_agent_rpc_calls_total{method=\"CreateContainer\"} 1"), "\(metrics)")
            #expect(metrics.contains("kata_agent_containers 0"))
            let rss = metrics.split(separator: "\n").first { $0.hasPrefix("kata_agent_process_resident_memory_bytes ") }
            #expect((rss?.split(separator: " ").last).flatMap { Int($0) } ?? 0 > 1 << 20)
        }
    }

    @Test func setGuestDateTimeRefusesToSetAHostClock() async throws {
        try await HostAgent.with { agent in
            do {
                try await agent.client.setGuestDateTime(seconds: 0, microseconds: 0)
                Issue.record("a host agent must not set the clock")
            } catch let error as AgentCallError {
                #expect(error.status.code == .failedPrecondition)
                #expect(error.status.message == "SetGuestDateTime: this agent does not run as a guest's init, and will not set the clock of a host")
            }
        }
    }

    @Test func unimplementedRPCsSayWhich() async throws {
        try await HostAgent.with { agent in
            for method in ["AddSwap", "GetIPTables", "OnlineCPUMem", "ResizeVolume"] {
                do {
                    let _: Google_Protobuf_Empty = try await agent.client.call(method, Google_Protobuf_Empty())
                    Issue.record("\(method) should be unimplemented")
                } catch let error as AgentCallError {
                    #expect(error.status.code == .unimplemented)
                    #expect(error.status.message == "\(method) is not implemented by this agent")
                }
            }
        }
    }

    @Test func kernelParametersForGuestComponentsAreWrittenUnderRun() async throws {
        try await HostAgent.with(kernelCommandLine: "console=ttyS0 agent.log=debug agent.aa_kbc_params=cc_kbc::http://198.18.0.1:8080 agent.container_pipe_size=65536 agent.https_proxy=\"\" quiet") { agent in
            let text = try String(contentsOfFile: agent.guestComponentsFile, encoding: .utf8)
            #expect(text == "aa_kbc_params=cc_kbc::http://198.18.0.1:8080\nhttps_proxy=\n")
            // container_pipe_size is the agent's own (not written out); containers still run with it set.
            try await agent.createContainer("pipe", ["sh", "-c", "echo ok"])
            try await agent.client.startContainer("pipe")
            #expect(try await agent.client.readAll(container: "pipe", exec: "pipe") == Array("ok\n".utf8))
            try await agent.client.removeContainer("pipe")
        }
    }

    /// Kata's allow-all-except-exec-process sample, in the form Kata ships it.
    static let allowAllExceptExec: String = {
        let requests = ["AddARPNeighborsRequest", "AddSwapRequest", "CloseStdinRequest", "CopyFileRequest", "CreateContainerRequest",
                        "CreateSandboxRequest", "DestroySandboxRequest", "GetMetricsRequest", "GetOOMEventRequest", "GuestDetailsRequest",
                        "ListInterfacesRequest", "ListRoutesRequest", "MemHotplugByProbeRequest", "OnlineCPUMemRequest", "PauseContainerRequest",
                        "PullImageRequest", "ReadStreamRequest", "RemoveContainerRequest", "RemoveStaleVirtiofsShareMountsRequest",
                        "ReseedRandomDevRequest", "ResumeContainerRequest", "SetGuestDateTimeRequest", "SetPolicyRequest", "SignalProcessRequest",
                        "StartContainerRequest", "StartTracingRequest", "StatsContainerRequest", "StopTracingRequest", "TtyWinResizeRequest",
                        "UpdateContainerRequest", "UpdateEphemeralMountsRequest", "UpdateInterfaceRequest", "UpdateRoutesRequest",
                        "WaitProcessRequest", "WriteStreamRequest"]
        return "package agent_policy\n\n" + requests.map { "default \($0) := true\n" }.joined() + "\ndefault ExecProcessRequest := false\n"
    }()

    @Test func policyRefusesExecAndAllowsTheRest() async throws {
        try await HostAgent.with { agent in
            try await agent.client.setPolicy(Self.allowAllExceptExec)
            try await agent.createContainer("pol", ["sh", "-c", "echo still-works; sleep 1000"])
            try await agent.client.startContainer("pol")
            #expect(try await agent.client.readStdout(container: "pol", exec: "pol") == Array("still-works\n".utf8))
            do {
                try await agent.client.execProcess(Grpc_ExecProcessRequest.with {
                    $0.containerID = "pol"; $0.execID = "e"; $0.process = agent.spec(["true"]).process
                })
                Issue.record("exec should be refused")
            } catch let error as AgentCallError {
                #expect(error.status.code == .permissionDenied)
                #expect(error.status.message == "ExecProcessRequest is blocked by policy")
                #expect(error.description == "agent ExecProcess failed: ExecProcessRequest is blocked by policy (PermissionDenied)")
            }
            _ = try await agent.client.statsContainer("pol")
            try await agent.client.signalProcess(container: "pol", exec: "pol", signal: SIGKILL)
            #expect(try await agent.client.waitProcess(container: "pol", exec: "pol") == 137)
            try await agent.client.removeContainer("pol")
        }
    }

    @Test func policyRuleBodyOnInputAllowsAndDenies() async throws {
        try await HostAgent.with { agent in
            try await agent.client.setPolicy("""
            package agent_policy
            default CreateContainerRequest := false
            default StartContainerRequest := true
            default RemoveContainerRequest := true
            default WaitProcessRequest := true
            default ReadStreamRequest := true
            default SetPolicyRequest := false

            # Only this hostname, and only busybox's sh.
            CreateContainerRequest if {
                input.OCI.Hostname == "allowed-host"
                input.OCI.Process.Args[0] == "sh"
            }
            """)
            try await agent.createContainer("yes", ["sh", "-c", "true"], hostname: "allowed-host")
            for (id, args, hostname) in [("no-host", ["sh", "-c", "true"], "other-host"), ("no-args", ["true"], "allowed-host")] {
                do {
                    try await agent.createContainer(id, args, hostname: hostname)
                    Issue.record("\(id) should be refused")
                } catch let error as AgentCallError {
                    #expect(error.status.message == "CreateContainerRequest is blocked by policy")
                }
            }
            // SetPolicy itself is a request the policy can refuse.
            await #expect(throws: AgentCallError.self) { try await agent.client.setPolicy("package agent_policy\n") }
            try await agent.client.removeContainer("yes")
        }
    }

    @Test func unsupportedPolicyIsRefusedNotSilentlyAllowed() async throws {
        try await HostAgent.with { agent in
            do {
                try await agent.client.setPolicy("package agent_policy\n\nExecProcessRequest if {\n  some i\n  input.process.Args[i] == \"sh\"\n}\n")
                Issue.record("expected SetPolicy to fail")
            } catch let error as AgentCallError {
                #expect(error.status.code == .invalidArgument)
                #expect(error.status.message.hasPrefix("SetPolicy: the policy cannot be used: policy line 4: unsupported construct \"some\""), "\(error)")
            }
        }
    }

    /// The network RPCs, with the agent acting on a network namespace the test made.
    @Test func networkRPCsChangeTheLinksOfTheirNamespace() async throws {
        let namespace = "kshim-agent-\(UInt32.random(in: 0..<UInt32.max))"
        try output(of: ["ip", "netns", "add", namespace])
        defer { _ = try? output(of: ["ip", "netns", "delete", namespace]) }
        try output(of: ["ip", "-n", namespace, "link", "add", "veth0", "address", "02:00:00:00:00:aa", "type", "veth", "peer", "name", "veth1"])
        try await HostAgent.with(netns: "/run/netns/" + namespace) { agent in
            let updated: Types_Interface = try await agent.client.call("UpdateInterface", Grpc_UpdateInterfaceRequest.with {
                $0.interface = Types_Interface.with {
                    $0.hwAddr = "02:00:00:00:00:aa"; $0.name = "eth0"; $0.mtu = 1400
                    $0.ipaddresses = [Types_IPAddress.with { $0.family = .v4; $0.address = "198.18.5.2"; $0.mask = "24" }]
                }
            })
            #expect(updated.name == "eth0" && updated.mtu == 1400)
            let routes: Grpc_Routes = try await agent.client.call("UpdateRoutes", Grpc_UpdateRoutesRequest.with {
                $0.routes.routes = [Types_Route.with { $0.dest = "default"; $0.gateway = "198.18.5.1"; $0.device = "eth0" }]
            })
            #expect(routes.routes.contains { $0.dest == "default" && $0.gateway == "198.18.5.1" })
            let _: Google_Protobuf_Empty = try await agent.client.call("AddARPNeighbors", Grpc_AddARPNeighborsRequest.with {
                $0.neighbors.arpneighbors = [Types_ARPNeighbor.with {
                    $0.toIpaddress = Types_IPAddress.with { $0.address = "198.18.5.1"; $0.family = .v4 }
                    $0.device = "eth0"; $0.lladdr = "02:00:00:00:00:bb"
                }]
            })
            let link = try output(of: ["ip", "-n", namespace, "-o", "addr", "show", "dev", "eth0"])
            #expect(link.contains("198.18.5.2/24"))
            #expect(try output(of: ["ip", "-n", namespace, "route", "show", "default"]).contains("via 198.18.5.1 dev eth0"))
            #expect(try output(of: ["ip", "-n", namespace, "neigh", "show", "dev", "eth0"]).contains("198.18.5.1 lladdr 02:00:00:00:00:bb PERMANENT"))
            let listed: Grpc_Interfaces = try await agent.client.call("ListInterfaces", Grpc_ListInterfacesRequest())
            #expect(listed.interfaces.contains { $0.name == "eth0" && $0.hwAddr == "02:00:00:00:00:aa" })
            let listedRoutes: Grpc_Routes = try await agent.client.call("ListRoutes", Grpc_ListRoutesRequest())
            #expect(listedRoutes.routes.contains { $0.gateway == "198.18.5.1" })
        }
    }
}
