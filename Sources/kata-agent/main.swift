// The development guest agent: PID 1 of the guest (after a minimal init), or
// an ordinary process on a host for tests.
import Files
import ArgumentParser
import ChildProcesses
import Dispatch
import Glibc
import GuestAgent
import Logging
import NIOCore
import NIOPosix
import Protocols
import TTRPC

@main
struct KataAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kata-agent",
        abstract: "Serves the Kata agent protocol (grpc.AgentService, grpc.Health) and runs containers with an OCI runtime.")

    @Option(name: .customLong("listen"), help: "unix:///PATH or vsock://CID:PORT (repeatable). Default: vsock port 1024 and the virtio-serial port agent.channel.0.")
    var listen: [String] = []

    @Option(help: "State directory (bundles, sandbox files, runtime state).")
    var stateDir = "/run/kata-containers"

    @Option(help: "OCI runtime executable (crun; runc also works).")
    var runtime = "/usr/bin/crun"

    @Option(help: "Parent of container cgroups whose spec names none.")
    var cgroupParent = "/kata"

    @Option(help: "Kernel command line to read agent.* parameters from.")
    var kernelCmdline = "/proc/cmdline"

    @Option(help: "Where to write agent.* parameters meant for guest components.")
    var guestComponentsFile = "/run/kata-containers/guest-components/agent-params.env"

    @Option(help: "Log level (overrides agent.log): trace, debug, info, warning, error.")
    var logLevel: String?

    @Option(help: "Network namespace (path, e.g. /run/netns/NAME) for the network RPCs; default: the agent's own.")
    var netns: String?

    @Option(help: "The pod sandbox's bundle (its rootfs/pause): what a guest-pulled sandbox runs.")
    var pauseBundle: String = "/pause_bundle"

    @Option(help: "The initdata disk or image file (default: the virtio-blk disk with serial initdata, if any).")
    var initdata: String?

    @Flag(help: "Allow SetGuestDateTime to set the clock (implied when running as PID 1).")
    var allowSetClock = false

    @Option(help: "Instead of serving: ask the agent at ADDRESS (unix:///PATH or vsock://CID:PORT) for Health.Check, print its status and exit 0 when it is serving.")
    var check: String?

    func run() throws {
        let command = self
        if let address = check {
            try BlockingMain.run { try await command.checkAgent(at: address) }
            return
        }
        try BlockingMain.run { try await command.serve() }
    }

    /// A client of our own protocol: proves a listener (vsock loopback in the guest) end to end.
    func checkAgent(at address: String) async throws {
        let client = try await TTRPCClient.connect(to: try TTRPCEndpoint(parsing: address))
        let response: Grpc_HealthCheckResponse = try await client.call(
            service: "grpc.Health", method: "Check", request: Grpc_CheckRequest(), timeout: .seconds(10))
        await client.close()
        print("\(address): \(response.status)")
        if response.status != .serving { throw ExitCode(1) }
    }

    func serve() async throws {
        let startUptime = ((try? readTextFile("/proc/uptime")) ?? "").split(separator: " ").first ?? "?"
        let parameters = KernelParameters(commandLine: (try? readTextFile(kernelCmdline)) ?? "")
        let level = Logger.Level(rawValue: logLevel ?? parameters.logLevel ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "kata-agent")

        var configuration = AgentConfiguration()
        configuration.stateDirectory = stateDir
        configuration.runtimePath = runtime
        configuration.cgroupParent = cgroupParent
        configuration.maySetClock = allowSetClock || getpid() == 1
        // The guest's init: its /etc/resolv.conf is an empty mount point for the sandbox's DNS.
        if getpid() == 1 { configuration.resolvConfMountPoint = "/etc/resolv.conf" }
        configuration.containerPipeSize = parameters.containerPipeSize ?? 0
        configuration.guestComponentsParametersFile = guestComponentsFile
        configuration.networkNamespace = netns
        configuration.pauseBundle = pauseBundle
        configuration.initDataDevice = initdata
        if !parameters.forGuestComponents.isEmpty {
            do {
                try parameters.writeGuestComponentsFile(to: guestComponentsFile)
            } catch {
                logger.error("cannot write \(guestComponentsFile): \(error)")
            }
        }

        let agent = AgentService(configuration: configuration, logger: logger)
        // Kata's agent takes the policy from initdata before it serves; a disk
        // it cannot use stops it, rather than serving with the wrong policy.
        do {
            if let (device, document) = try agent.applyInitData() {
                let entries = document.data.keys.sorted().joined(separator: ", ")
                logger.info("initdata from \(device): algorithm \(document.algorithm), [data] \(entries.isEmpty ? "empty" : entries); \(document.policy == nil ? "no policy.rego: the policy stays allow-all" : "policy.rego is the policy")")
            }
        } catch {
            logger.critical("refusing to serve: \(error)")
            throw ExitCode(1)
        }
        let server = TTRPCServer(services: agent.services, logger: logger)
        var listeners: [TTRPCListener] = []
        var serial: Task<Void, Never>?
        if listen.isEmpty {
            do {
                listeners.append(try await server.listen(on: .vsock(cid: UInt32.max, port: 1024)))
                logger.info("serving on vsock port 1024")
            } catch {
                logger.info("no vsock listener: \(error)")
            }
            if let port = await AgentListeners.serialPort(named: AgentListeners.serialPortName) {
                logger.info("serving on virtio-serial port \(port)")
                serial = Task { await AgentListeners.serveSerialPort(port, server: server, logger: logger) }
            }
            if listeners.isEmpty && serial == nil {
                logger.critical("no channel to serve on: neither vsock nor a virtio-serial port named \(AgentListeners.serialPortName)")
            }
        } else {
            for address in listen {
                listeners.append(try await server.listen(on: try TTRPCEndpoint(parsing: address)))
                logger.info("serving on \(address)")
            }
        }
        let uptime = ((try? readTextFile("/proc/uptime")) ?? "").split(separator: " ").first ?? "?"
        print("kata-agent ready (uptime \(uptime) s; started at \(startUptime) s)")

        // SIGTERM (a host test stopping us): remove every container, then exit.
        signal(SIGTERM, SIG_IGN)
        let stop = DispatchSource.makeSignalSource(signal: SIGTERM)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            stop.setEventHandler { continuation.resume() }
            stop.resume()
        }
        stop.cancel()
        logger.info("stopping")
        serial?.cancel()
        await agent.sandbox.destroySandbox()
        for listener in listeners { try? await listener.close() }
    }
}
