import ArgumentParser
import KataConfig

/// `kata-runtime env`: the configuration the shim would use, resolved.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Show the resolved configuration, its assets, versions and the host.",
        discussion: """
            Loads the configuration as the shim does (--config, else KATA_CONF_FILE or Kata's default \
            search path, then the config.d/ drop-ins) and prints TOML-like text, or with --json one \
            JSON object with these keys:
              Meta           Version: the format version of this output
              Runtime        Name, Version, Commit of kata-runtime
              Config         Path, Name, Source (how it was chosen), DropIns, Warnings
              Hypervisor     Path, Version, VersionLine, ConfidentialObjects (QEMU's), Error \
            (QEMU could not run), Accelerator, MachineType, ConfidentialGuest, ConfidentialTechnology
              Agent          Channel, DialTimeoutSeconds, Debug, DebugConsole
              Assets         per asset (qemu, kernel, image, initrd, firmware, virtio_fs_daemon, ...): \
            Key, Path, Exists, Size (bytes)
              Host           KVM, KVMReason, CPUVirtualization, Nested, VhostVsock, VhostNet, TDX, \
            SEVSNP, SEV, CPUs, MemoryMiB
              Configuration  every section and key with the value in use (defaults included)
              Origins        the file that set each key a file set ("hypervisor.qemu.kernel": \
            "config.d/50-dev-host.toml")
            """,
        aliases: ["kata-env"]
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        let choice = ConfigurationChoice(path: config)
        let loaded: LoadedConfiguration
        do {
            loaded = try choice.load(environment: ProcessEnvironment.current())
        } catch {
            StandardError.print("\(error)")
            throw ExitCode(1)
        }
        let qemu = Result { () throws(QEMUProbeError) in try QEMUFacts.probe(path: loaded.configuration.hypervisor.path) }
        let report = EnvironmentReport(loaded: loaded, source: choice.sourceDescription(loaded), host: HostFacts.probe(), qemu: qemu)
        if json {
            print(report.value.rendered(indented: true))
        } else {
            print(report.text, terminator: "")
        }
    }
}
