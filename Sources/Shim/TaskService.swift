import Glibc
import Protocols
import SwiftProtobuf
import TTRPC

/// The ttrpc face of ``TaskController``: `containerd.task.v2.Task`, and the
/// same handlers as `containerd.task.v3.Task` for containerd 2.x.
enum TaskService {
    static let v2Name = "containerd.task.v2.Task"
    static let v3Name = "containerd.task.v3.Task"

    /// - Parameter shutdown: called after a Shutdown that leaves nothing to serve.
    static func services(controller: TaskController, shutdown: @escaping @Sendable () -> Void) -> [TTRPCService] {
        var service = TTRPCService(name: v2Name)
        func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
            _ method: String, _ body: @escaping @Sendable (Request) async throws -> Response
        ) {
            service.addUnary(method) { (request: Request, _) in
                await controller.noteCall()
                return try await body(request)
            }
        }
        let empty = Google_Protobuf_Empty()
        unary("Create") { try await controller.create($0) }
        unary("Start") { try await controller.start($0) }
        unary("Delete") { try await controller.delete($0) }
        unary("Exec") { (r: Containerd_Task_V2_ExecProcessRequest) in try await controller.exec(r); return empty }
        unary("State") { try await controller.state($0) }
        unary("Pids") { try await controller.pids($0) }
        unary("Pause") { (r: Containerd_Task_V2_PauseRequest) in try await controller.pause(r); return empty }
        unary("Resume") { (r: Containerd_Task_V2_ResumeRequest) in try await controller.resume(r); return empty }
        unary("Kill") { (r: Containerd_Task_V2_KillRequest) in try await controller.kill(r); return empty }
        unary("ResizePty") { (r: Containerd_Task_V2_ResizePtyRequest) in try await controller.resizePty(r); return empty }
        unary("Update") { (r: Containerd_Task_V2_UpdateTaskRequest) in try await controller.update(r); return empty }
        unary("Stats") { try await controller.stats($0) }
        unary("Checkpoint") { (r: Containerd_Task_V2_CheckpointTaskRequest) -> Google_Protobuf_Empty in
            throw TaskError.unimplemented("checkpointing container \(r.id) in a VM")
        }
        unary("CloseIO") { (r: Containerd_Task_V2_CloseIORequest) in
            let process = try await controller.processForCloseIO(r)
            if r.stdin { await process.io?.closeStdin() }
            return empty
        }
        unary("Wait") { (r: Containerd_Task_V2_WaitRequest) in
            // Blocks until the exit, off the controller so that other calls go on.
            let process = try await controller.processToWait(r)
            let exit = await process.waitForExit()
            return Containerd_Task_V2_WaitResponse.with { $0.exitStatus = exit.status; $0.exitedAt = exit.at }
        }
        unary("Connect") { (_: Containerd_Task_V2_ConnectRequest) in
            let pid = await controller.vmPID
            return Containerd_Task_V2_ConnectResponse.with { $0.shimPid = UInt32(getpid()); $0.taskPid = pid }
        }
        unary("Shutdown") { (r: Containerd_Task_V2_ShutdownRequest) in
            // Other tasks of the pod still use this shim: nothing to do (as Kata).
            guard await controller.isEmpty || r.now else { return empty }
            await controller.terminate()
            shutdown()
            return empty
        }
        return [service, service.renamed(v3Name)]
    }
}
