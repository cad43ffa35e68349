import Files
import Logging
import Runtime

extension TaskController {
    /// Serves the sandbox's management socket and writes `<bundle>/monitor_address`
    /// (`unix://<socket>`), as Kata does. A failure is logged: the pod runs without it.
    func startManagementServer(for sandbox: Sandbox, bundle: String, logger: Logger) async {
        let socketPath = sandbox.paths.monitorSocket
        let source = SandboxManagementSource(agent: sandbox.agent, vmPID: await sandbox.vmPID)
        let server: ShimManagementServer
        do {
            server = try await ShimManagementServer.start(socketPath: socketPath, source: source, logger: logger)
        } catch {
            logger.error("sandbox \(sandbox.id): no management socket at \(socketPath) (kata-runtime metrics and kata-monitor will not reach this pod): \(error)")
            return
        }
        // The VM may have died, and its teardown run, while the server started.
        guard !isTearingDown else {
            await server.stop()
            return
        }
        managementServer = server
        do {
            try writeFileAtomically(bundle + "/monitor_address", Array("unix://\(socketPath)".utf8))
        } catch {
            logger.error("sandbox \(sandbox.id): cannot write monitor_address into the bundle: \(error)")
        }
    }

    /// Stops the management socket and removes its file (before the sandbox's state directory goes).
    func stopManagementServer() async {
        guard let server = managementServer else { return }
        managementServer = nil
        await server.stop()
    }
}
