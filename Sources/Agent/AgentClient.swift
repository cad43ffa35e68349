#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Protocols
import SwiftProtobuf
import TTRPC

/// Per-call deadlines, as Kata's runtime sets them (`getReqContext`):
/// Check 30 s, CreateContainer `create_container_timeout` (60 s by default),
/// none for WaitProcess, GetOOMEvent and the stream reads, 60 s for the rest.
public struct AgentTimeouts: Sendable {
    public var check: TimeAmount = .seconds(30)
    public var createContainer: TimeAmount = .seconds(60)
    public var other: TimeAmount = .seconds(60)
    public init() {}
}

/// A failed agent call: which call, and what the agent (or the connection) said.
public struct AgentCallError: Error, ClassifiedError, CustomStringConvertible, Sendable {
    public var method: String
    public var status: RPCError

    public var errorClass: ErrorClass { status.errorClass }
    public var statusMessage: String { description }
    public var description: String { "agent \(method) failed: \(status.message) (\(status.code))" }
}

/// The typed kata-agent client the runtime uses: one long-lived ttrpc
/// connection (re-dialled if it drops), per-call timeouts as Kata sets them,
/// and errors that name the call.
public final class AgentClient: Sendable {
    public let endpoint: TTRPCEndpoint
    public let timeouts: AgentTimeouts
    private let connection: ReconnectingTTRPCClient

    public init(endpoint: TTRPCEndpoint, timeouts: AgentTimeouts = AgentTimeouts()) {
        self.endpoint = endpoint
        self.timeouts = timeouts
        self.connection = ReconnectingTTRPCClient(endpoint: endpoint)
    }

    /// Dials and asks `Health.Check` until the agent answers or `timeout`
    /// passes (Kata's `dial_timeout`): while a VM boots, the socket may not
    /// exist yet, or exist with nobody behind it yet (virtio-serial).
    public func waitUntilReady(timeout: TimeAmount) async throws {
        let deadline = NIODeadline.now() + timeout
        var lastError: any Error = RPCError(code: .unavailable, message: "not tried")
        var attempt: TimeAmount = .milliseconds(200)
        while NIODeadline.now() < deadline {
            do {
                let remaining = deadline - .now()
                let _: Grpc_HealthCheckResponse = try await connection.call(
                    service: "grpc.Health", method: "Check", request: Grpc_CheckRequest(),
                    timeout: min(attempt, max(remaining, .milliseconds(1))))
                return
            } catch {
                lastError = error
                attempt = min(attempt * 2, .seconds(2))
                if let rpc = error as? RPCError, rpc.code == .unavailable {
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
            }
        }
        throw AgentCallError(method: "Check", status: RPCError(
            code: .deadlineExceeded,
            message: "timed out after \(timeout.nanoseconds / 1_000_000_000) s waiting for the agent at \(endpoint): \(lastError)"))
    }

    /// Calls `grpc.AgentService/<method>`.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, returning: Response.Type = Response.self,
        service: String = "grpc.AgentService", timeout: TimeAmount?? = nil
    ) async throws -> Response {
        let deadline: TimeAmount? = switch timeout {
        case .some(let explicit): explicit
        case .none: Self.defaultTimeout(method, timeouts)
        }
        do {
            return try await connection.call(service: service, method: method, request: request, responseType: Response.self, timeout: deadline)
        } catch let error as RPCError {
            throw AgentCallError(method: method, status: error)
        }
    }

    static func defaultTimeout(_ method: String, _ timeouts: AgentTimeouts) -> TimeAmount? {
        switch method {
        case "Check": timeouts.check
        case "CreateContainer": timeouts.createContainer
        case "WaitProcess", "GetOOMEvent", "ReadStdout", "ReadStderr": nil
        default: timeouts.other
        }
    }

    public func close() async {
        await connection.close()
    }
}

extension AgentClient {
    public func check() async throws -> Grpc_HealthCheckResponse {
        try await call("Check", Grpc_CheckRequest(), service: "grpc.Health")
    }

    public func version() async throws -> Grpc_VersionCheckResponse {
        try await call("Version", Grpc_CheckRequest(), service: "grpc.Health")
    }

    public func setPolicy(_ rego: String) async throws {
        let _: Google_Protobuf_Empty = try await call("SetPolicy", Grpc_SetPolicyRequest.with { $0.policy = rego })
    }

    public func createSandbox(_ request: Grpc_CreateSandboxRequest) async throws {
        let _: Google_Protobuf_Empty = try await call("CreateSandbox", request)
    }

    public func destroySandbox() async throws {
        let _: Google_Protobuf_Empty = try await call("DestroySandbox", Grpc_DestroySandboxRequest())
    }

    /// UpdateInterface: the guest's interface with this MAC gets the name, MTU and addresses.
    @discardableResult
    public func updateInterface(_ interface: Types_Interface) async throws -> Types_Interface {
        try await call("UpdateInterface", Grpc_UpdateInterfaceRequest.with { $0.interface = interface })
    }

    /// UpdateRoutes: the guest's routes become exactly these.
    @discardableResult
    public func updateRoutes(_ routes: [Types_Route]) async throws -> Grpc_Routes {
        try await call("UpdateRoutes", Grpc_UpdateRoutesRequest.with { $0.routes.routes = routes })
    }

    public func guestDetails() async throws -> Grpc_GuestDetailsResponse {
        try await call("GetGuestDetails", Grpc_GuestDetailsRequest.with { $0.memBlockSize = true; $0.memHotplugProbe = true })
    }

    public func createContainer(_ request: Grpc_CreateContainerRequest) async throws {
        let _: Google_Protobuf_Empty = try await call("CreateContainer", request)
    }

    public func startContainer(_ id: String) async throws {
        let _: Google_Protobuf_Empty = try await call("StartContainer", Grpc_StartContainerRequest.with { $0.containerID = id })
    }

    public func removeContainer(_ id: String, timeout: UInt32 = 0) async throws {
        let _: Google_Protobuf_Empty = try await call("RemoveContainer", Grpc_RemoveContainerRequest.with { $0.containerID = id; $0.timeout = timeout })
    }

    public func execProcess(_ request: Grpc_ExecProcessRequest) async throws {
        let _: Google_Protobuf_Empty = try await call("ExecProcess", request)
    }

    public func signalProcess(container: String, exec: String, signal: Int32) async throws {
        let _: Google_Protobuf_Empty = try await call("SignalProcess", Grpc_SignalProcessRequest.with {
            $0.containerID = container; $0.execID = exec; $0.signal = UInt32(signal)
        })
    }

    /// The exit code (128 + signal for a signal), once the process has ended.
    /// - Parameter timeout: none by default (Kata sets none: a process may run for ever).
    public func waitProcess(container: String, exec: String, timeout: TimeAmount? = nil) async throws -> Int32 {
        let response: Grpc_WaitProcessResponse = try await call(
            "WaitProcess", Grpc_WaitProcessRequest.with { $0.containerID = container; $0.execID = exec }, timeout: .some(timeout))
        return response.status
    }

    /// Up to `max` bytes of output; nil once the stream has ended.
    public func readStdout(container: String, exec: String, max: Int = 32 * 1024) async throws -> [UInt8]? {
        try await readStream("ReadStdout", container: container, exec: exec, max: max)
    }

    public func readStderr(container: String, exec: String, max: Int = 32 * 1024) async throws -> [UInt8]? {
        try await readStream("ReadStderr", container: container, exec: exec, max: max)
    }

    private func readStream(_ method: String, container: String, exec: String, max: Int) async throws -> [UInt8]? {
        do {
            let response: Grpc_ReadStreamResponse = try await call(method, Grpc_ReadStreamRequest.with {
                $0.containerID = container; $0.execID = exec; $0.len = UInt32(max)
            })
            return Array(response.data)
        } catch let error as AgentCallError where error.status.code == .outOfRange {
            return nil
        }
    }

    /// Everything a stream has until its end.
    public func readAll(_ method: String = "ReadStdout", container: String, exec: String) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await readStream(method, container: container, exec: exec, max: 32 * 1024) { all += chunk }
        return all
    }

    public func writeStdin(container: String, exec: String, _ data: [UInt8]) async throws {
        let _: Grpc_WriteStreamResponse = try await call("WriteStdin", Grpc_WriteStreamRequest.with {
            $0.containerID = container; $0.execID = exec; $0.data = Data(data)
        })
    }

    public func closeStdin(container: String, exec: String) async throws {
        let _: Google_Protobuf_Empty = try await call("CloseStdin", Grpc_CloseStdinRequest.with { $0.containerID = container; $0.execID = exec })
    }

    public func resizeTerminal(container: String, exec: String, rows: UInt32, columns: UInt32) async throws {
        let _: Google_Protobuf_Empty = try await call("TtyWinResize", Grpc_TtyWinResizeRequest.with {
            $0.containerID = container; $0.execID = exec; $0.row = rows; $0.column = columns
        })
    }

    public func pauseContainer(_ id: String) async throws {
        let _: Google_Protobuf_Empty = try await call("PauseContainer", Grpc_PauseContainerRequest.with { $0.containerID = id })
    }

    public func resumeContainer(_ id: String) async throws {
        let _: Google_Protobuf_Empty = try await call("ResumeContainer", Grpc_ResumeContainerRequest.with { $0.containerID = id })
    }

    public func statsContainer(_ id: String) async throws -> Grpc_StatsContainerResponse {
        try await call("StatsContainer", Grpc_StatsContainerRequest.with { $0.containerID = id })
    }

    public func updateContainer(_ id: String, resources: Grpc_LinuxResources) async throws {
        let _: Google_Protobuf_Empty = try await call("UpdateContainer", Grpc_UpdateContainerRequest.with { $0.containerID = id; $0.resources = resources })
    }

    public func copyFile(_ request: Grpc_CopyFileRequest) async throws {
        let _: Google_Protobuf_Empty = try await call("CopyFile", request)
    }

    public func nextOOMEvent() async throws -> String {
        let event: Grpc_OOMEvent = try await call("GetOOMEvent", Grpc_GetOOMEventRequest())
        return event.containerID
    }

    public func metrics() async throws -> String {
        let metrics: Grpc_Metrics = try await call("GetMetrics", Grpc_GetMetricsRequest())
        return metrics.metrics
    }

    public func setGuestDateTime(seconds: Int64, microseconds: Int64) async throws {
        let _: Google_Protobuf_Empty = try await call("SetGuestDateTime", Grpc_SetGuestDateTimeRequest.with { $0.sec = seconds; $0.usec = microseconds })
    }

    public func diagnosticData(container: String, logType: String) async throws -> String {
        let response: Grpc_GetDiagnosticDataResponse = try await call("GetDiagnosticData", Grpc_GetDiagnosticDataRequest.with {
            $0.containerID = container; $0.logType = logType
        })
        return response.data
    }
}
