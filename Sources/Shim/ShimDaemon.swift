#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChildProcesses
import CLinux
import Glibc
import Logging
import NIOConcurrencyHelpers
import Runtime
import TTRPC

/// The long-running shim: serves the Task API on the socket `start` made
/// (descriptor 3), logs into the bundle's `log` FIFO, publishes events to
/// containerd, and exits on Shutdown, on SIGTERM (after tearing the sandbox
/// down), or when nobody called it within the idle timeout.
public enum ShimDaemon {
    public static func run(flags: ShimFlags, environment: [String: String]) async throws {
        let logDescriptor = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        let level: Logger.Level = flags.debug ? .debug : .info
        let namespace = flags.namespace
        let id = flags.id
        LoggingSystem.bootstrap { _ in
            var handler = ShimLogHandler(descriptor: logDescriptor >= 0 ? logDescriptor : 2, level: level)
            handler.metadata = ["runtime": "\(ShimVersion.runtimeName)", "namespace": "\(namespace)", "id": "\(id)", "pid": "\(getpid())"]
            return handler
        }
        let logger = Logger(label: "shim")

        let publisher = environment["TTRPC_ADDRESS"].flatMap { $0.isEmpty ? nil : EventPublisher(ttrpcAddress: $0, namespace: namespace) }
        if publisher == nil { logger.warning("TTRPC_ADDRESS is not set: events are not published") }
        let settings = TaskController.Settings(
            namespace: namespace, startConfigPath: environment[StartCommand.configPathVariable],
            environment: environment, hostCgroupV2: access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
        let controller = TaskController(settings: settings, publisher: publisher, logger: logger)
        let socketPath = flags.socket.isEmpty ? ShimSocketAddress.path(inAddressFile: "address") : flags.socket

        let exiting = NIOLockedValueBox(false)
        let exit: @Sendable (Int32) -> Void = { code in
            // Shutdown and SIGTERM may race: one exit.
            guard exiting.withLockedValue({ done in defer { done = true }; return !done }) else { return }
            if let socketPath { unlink(socketPath) }
            unlink(SandboxPaths(sandboxID: id).monitorSocket)
            // A sandbox still booting (or a teardown cut short) leaves its record: undo it.
            SandboxRecord.cleanUp(SandboxPaths(sandboxID: id))
            logger.info("shim exits")
            Glibc.exit(code)
        }
        let server = TTRPCServer(services: TaskService.services(controller: controller) {
            // After the reply is on its way.
            Task {
                try? await Task.sleep(for: .milliseconds(10))
                exit(0)
            }
        }, logger: logger)
        if flags.socket.isEmpty {
            _ = try await server.listen(onInheritedSocket: 3)
        } else {
            _ = try await server.listen(on: .unix(path: flags.socket))
        }
        logger.info("serving \(socketPath ?? "descriptor 3")")

        SignalWaiter.start(signals: [SIGTERM, SIGINT]) { signal in
            Task {
                logger.info("signal \(signal): tearing down")
                await controller.terminate()
                exit(0)
            }
        }

        let idle = Double(environment[StartCommand.idleTimeoutVariable] ?? "") ?? 60
        try await Task.sleep(for: .seconds(idle))
        let called = await controller.everCalled
        let empty = await controller.isEmpty
        if !called && empty {
            logger.warning("nobody called within \(Int(idle)) s: exiting")
            exit(0)
        }
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

/// Waits for signals on a thread of its own (they are blocked everywhere
/// else: `blockSignals` runs first thing in main, before any thread exists).
public enum SignalWaiter {
    public static func blockSignals(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func start(signals: [Int32], _ handler: @escaping @Sendable (Int32) -> Void) {
        DedicatedThread.start {
            var set = sigset_t()
            sigemptyset(&set)
            for signal in signals { sigaddset(&set, signal) }
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            handler(received)
        }
    }
}
