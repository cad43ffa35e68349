#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import AgentPolicy
import CLinux
import Glibc
import Logging
import NIOConcurrencyHelpers
import Protocols
import SwiftProtobuf
import TTRPC

/// The ttrpc services of the agent: `grpc.AgentService` and `grpc.Health`.
/// Every request is checked against the policy first (rule = request message
/// name, `input` = the request as protobuf JSON with proto field names).
public final class AgentService: Sendable {
    public let sandbox: Sandbox
    public let network: NetworkManager
    let configuration: AgentConfiguration
    let logger: Logger
    /// The policy, and whether one was set (until then everything is allowed
    /// without encoding requests).
    private let policy = NIOLockedValueBox((rules: AgentPolicy.allowAll, enforced: false))
    private let calls = NIOLockedValueBox<[String: Int]>([:])
    let startTime = ContinuousClock.now

    var callCounts: [String: Int] { calls.withLockedValue { $0 } }

    public init(configuration: AgentConfiguration, logger: Logger = Logger(label: "kata-agent")) {
        self.configuration = configuration
        self.logger = logger
        self.sandbox = Sandbox(configuration: configuration)
        self.network = NetworkManager(namespacePath: configuration.networkNamespace)
    }

    /// Both services, ready for a `TTRPCServer`.
    public var services: [TTRPCService] { [agentService(), healthService()] }

    /// Replaces the policy (SetPolicy, or initdata at start).
    public func setPolicy(_ rego: String) throws {
        do {
            let parsed = try AgentPolicy(rego: rego)
            policy.withLockedValue { $0 = (parsed, true) }
        } catch {
            throw AgentError.invalid("SetPolicy: the policy cannot be used: \(error)")
        }
    }

    /// The request message names of every AgentService method, in proto order.
    static let methods: [(name: String, request: String)] = [
        ("CreateContainer", "CreateContainerRequest"), ("StartContainer", "StartContainerRequest"),
        ("RemoveContainer", "RemoveContainerRequest"), ("ExecProcess", "ExecProcessRequest"),
        ("SignalProcess", "SignalProcessRequest"), ("WaitProcess", "WaitProcessRequest"),
        ("UpdateContainer", "UpdateContainerRequest"), ("UpdateEphemeralMounts", "UpdateEphemeralMountsRequest"),
        ("StatsContainer", "StatsContainerRequest"), ("PauseContainer", "PauseContainerRequest"),
        ("ResumeContainer", "ResumeContainerRequest"), ("RemoveStaleVirtiofsShareMounts", "RemoveStaleVirtiofsShareMountsRequest"),
        ("GetDiagnosticData", "GetDiagnosticDataRequest"), ("WriteStdin", "WriteStreamRequest"),
        ("ReadStdout", "ReadStreamRequest"), ("ReadStderr", "ReadStreamRequest"), ("CloseStdin", "CloseStdinRequest"),
        ("TtyWinResize", "TtyWinResizeRequest"), ("UpdateInterface", "UpdateInterfaceRequest"),
        ("UpdateRoutes", "UpdateRoutesRequest"), ("ListInterfaces", "ListInterfacesRequest"),
        ("ListRoutes", "ListRoutesRequest"), ("AddARPNeighbors", "AddARPNeighborsRequest"),
        ("GetIPTables", "GetIPTablesRequest"), ("SetIPTables", "SetIPTablesRequest"), ("GetMetrics", "GetMetricsRequest"),
        ("MemAgentMemcgSet", "MemAgentMemcgConfig"), ("MemAgentCompactSet", "MemAgentCompactConfig"),
        ("CreateSandbox", "CreateSandboxRequest"), ("DestroySandbox", "DestroySandboxRequest"),
        ("OnlineCPUMem", "OnlineCPUMemRequest"), ("ReseedRandomDev", "ReseedRandomDevRequest"),
        ("GetGuestDetails", "GuestDetailsRequest"), ("MemHotplugByProbe", "MemHotplugByProbeRequest"),
        ("SetGuestDateTime", "SetGuestDateTimeRequest"), ("CopyFile", "CopyFileRequest"), ("GetOOMEvent", "GetOOMEventRequest"),
        ("AddSwap", "AddSwapRequest"), ("AddSwapPath", "AddSwapPathRequest"), ("GetVolumeStats", "VolumeStatsRequest"),
        ("ResizeVolume", "ResizeVolumeRequest"), ("SetPolicy", "SetPolicyRequest"),
    ]

    /// Checks `request` against the policy; throws PermissionDenied when refused.
    func check<Request: SwiftProtobuf.Message>(_ request: Request, rule: String) throws {
        let (policy, enforced) = self.policy.withLockedValue { $0 }
        guard enforced else { return }
        let input: PolicyValue
        do {
            var options = JSONEncodingOptions()
            options.preserveProtoFieldNames = true
            input = try PolicyValue(json: try request.jsonString(options: options))
        } catch {
            throw AgentError(.permissionDenied, "\(rule) is blocked by policy: the request cannot be evaluated: \(error)")
        }
        if case let .denied(message) = policy.decide(rule, input: input) {
            logger.info("request refused by policy", metadata: ["rule": "\(rule)"])
            throw AgentError(.permissionDenied, message)
        }
    }

    private func counted(_ method: String) {
        calls.withLockedValue { $0[method, default: 0] += 1 }
    }

    private func agentService() -> TTRPCService {
        var service = TTRPCService(name: "grpc.AgentService")
        let sandbox = self.sandbox

        func add<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
            _ method: String, _ handler: @escaping @Sendable (Request) async throws -> Response
        ) {
            let rule = Self.methods.first { $0.name == method }!.request
            service.addUnary(method) { [self] (request: Request, _: TTRPCCallContext) in
                counted(method)
                try check(request, rule: rule)
                return try await handler(request)
            }
        }
        let empty = Google_Protobuf_Empty()

        add("CreateContainer") { (r: Grpc_CreateContainerRequest) in try await sandbox.createContainer(r); return empty }
        add("StartContainer") { (r: Grpc_StartContainerRequest) in try await sandbox.startContainer(r.containerID); return empty }
        add("RemoveContainer") { (r: Grpc_RemoveContainerRequest) in try await sandbox.removeContainer(r.containerID, timeout: r.timeout); return empty }
        add("ExecProcess") { (r: Grpc_ExecProcessRequest) in try await sandbox.execProcess(r); return empty }
        add("SignalProcess") { (r: Grpc_SignalProcessRequest) in try await sandbox.signalProcess(r); return empty }
        add("WaitProcess") { (r: Grpc_WaitProcessRequest) in
            let process = try await sandbox.process(r.containerID, r.execID)
            let status = await process.wait()
            // An OOM kill is reported before the exit it caused (CRI marks the container OOMKilled).
            if r.execID.isEmpty || r.execID == r.containerID { await sandbox.oomSettled(r.containerID) }
            return Grpc_WaitProcessResponse.with { $0.status = status.shellCode }
        }
        add("UpdateContainer") { (r: Grpc_UpdateContainerRequest) in try await sandbox.update(r); return empty }
        add("StatsContainer") { (r: Grpc_StatsContainerRequest) in try await sandbox.stats(r.containerID) }
        add("PauseContainer") { (r: Grpc_PauseContainerRequest) in try await sandbox.pause(r.containerID); return empty }
        add("ResumeContainer") { (r: Grpc_ResumeContainerRequest) in try await sandbox.resume(r.containerID); return empty }
        add("GetDiagnosticData") { (r: Grpc_GetDiagnosticDataRequest) in try await self.diagnosticData(r) }
        add("WriteStdin") { (r: Grpc_WriteStreamRequest) in
            let process = try await sandbox.process(r.containerID, r.execID)
            guard let stdin = process.stdin else { throw AgentError(.failedPrecondition, "process \(r.execID) has no stdin") }
            try await stdin.write(Array(r.data))
            return Grpc_WriteStreamResponse.with { $0.len = UInt32(r.data.count) }
        }
        add("ReadStdout") { (r: Grpc_ReadStreamRequest) in
            try await Self.read(try await sandbox.process(r.containerID, r.execID).stdout, r)
        }
        add("ReadStderr") { (r: Grpc_ReadStreamRequest) in
            let process = try await sandbox.process(r.containerID, r.execID)
            guard let stderr = process.stderr else { throw Self.endOfStream(r) }
            return try await Self.read(stderr, r)
        }
        add("CloseStdin") { (r: Grpc_CloseStdinRequest) in
            await (try await sandbox.process(r.containerID, r.execID)).stdin?.close()
            return empty
        }
        add("TtyWinResize") { (r: Grpc_TtyWinResizeRequest) in
            let process = try await sandbox.process(r.containerID, r.execID)
            guard let terminal = process.terminal else {
                throw AgentError(.failedPrecondition, "process \(r.execID) of container \(r.containerID) has no terminal")
            }
            guard cs_set_window_size(terminal, UInt16(clamping: r.row), UInt16(clamping: r.column)) == 0 else {
                throw AgentError.failed("resize terminal of \(r.containerID)/\(r.execID): \(String(cString: strerror(errno)))")
            }
            return empty
        }
        let network = self.network
        add("UpdateInterface") { (r: Grpc_UpdateInterfaceRequest) in try await network.updateInterface(r) }
        add("UpdateRoutes") { (r: Grpc_UpdateRoutesRequest) in try await network.updateRoutes(r) }
        add("ListInterfaces") { (r: Grpc_ListInterfacesRequest) in try await network.listInterfaces(r) }
        add("ListRoutes") { (r: Grpc_ListRoutesRequest) in try await network.listRoutes(r) }
        add("AddARPNeighbors") { (r: Grpc_AddARPNeighborsRequest) in try await network.addARPNeighbors(r); return empty }
        add("GetMetrics") { (_: Grpc_GetMetricsRequest) in await self.metrics() }
        add("CreateSandbox") { (r: Grpc_CreateSandboxRequest) in try await sandbox.createSandbox(r); return empty }
        add("DestroySandbox") { (_: Grpc_DestroySandboxRequest) in await sandbox.destroySandbox(); return empty }
        add("GetGuestDetails") { (r: Grpc_GuestDetailsRequest) in self.guestDetails(r) }
        add("SetGuestDateTime") { (r: Grpc_SetGuestDateTimeRequest) in try self.setDateTime(r); return empty }
        add("CopyFile") { (r: Grpc_CopyFileRequest) in try self.copyFile(r); return empty }
        add("GetOOMEvent") { (_: Grpc_GetOOMEventRequest) in
            guard let id = await sandbox.oomEvents.next() else { throw AgentError(.canceled, "GetOOMEvent cancelled") }
            return Grpc_OOMEvent.with { $0.containerID = id }
        }
        add("SetPolicy") { (r: Grpc_SetPolicyRequest) in try self.setPolicy(r.policy); return empty }

        // Everything else answers Unimplemented with its name.
        for method in Self.methods where service.methods[method.name] == nil {
            let name = method.name
            service.addRaw(name) { _, _ in
                throw RPCError(code: .unimplemented, message: "\(name) is not implemented by this agent")
            }
        }
        return service
    }

    /// The error ReadStdout / ReadStderr answer at the end of a stream (the
    /// host stops reading on any error; this one says why).
    static func endOfStream(_ r: Grpc_ReadStreamRequest) -> AgentError {
        AgentError(.outOfRange, "EOF: the output of \(r.containerID)/\(r.execID.isEmpty ? r.containerID : r.execID) has ended")
    }

    static func read(_ stream: OutputStreamBuffer, _ r: Grpc_ReadStreamRequest) async throws -> Grpc_ReadStreamResponse {
        guard let data = await stream.read(max: r.len == 0 ? 32 * 1024 : Int(r.len)) else { throw endOfStream(r) }
        return Grpc_ReadStreamResponse.with { $0.data = Data(data) }
    }

    private func healthService() -> TTRPCService {
        var service = TTRPCService(name: "grpc.Health")
        service.addUnary("Check") { (_: Grpc_CheckRequest, _: TTRPCCallContext) in
            Grpc_HealthCheckResponse.with { $0.status = .serving }
        }
        service.addUnary("Version") { [configuration] (_: Grpc_CheckRequest, _: TTRPCCallContext) in
            Grpc_VersionCheckResponse.with {
                $0.grpcVersion = "ttrpc"
                $0.agentVersion = configuration.version
            }
        }
        return service
    }
}
