import ArgumentParser
import KataConfig

/// `kata-runtime check`: can this host run a configuration?
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that this host can run Kata configurations.",
        discussion: """
            For each configuration (the one the shim would load when no --config is given: \
            KATA_CONF_FILE or Kata's default search path), checks that it loads and validates with \
            its config.d/ drop-ins, that the host offers what it asks for (KVM usable for \
            accelerator = "kvm", /dev/vhost-vsock for agent_channel = "vsock", /dev/vhost-net unless \
            disable_vhost_net, TDX or SEV-SNP for a confidential guest), that its QEMU runs and knows \
            the confidential object it needs, and that the kernel, image or initrd, firmware and \
            virtiofsd (for shared_fs = "virtio-fs") exist. Prints the host facts relied on, every \
            problem with the setting that fixes it, and a one-line verdict per configuration. \
            Exits 0 when every configuration passes, 1 otherwise.
            """,
        aliases: ["kata-check"]
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("A configuration file to check (repeatable).", valueName: "path"))
    var configs: [String] = []

    @Flag(name: .long, help: "Also print the facts and checks that passed.")
    var verbose = false

    @Flag(name: .customLong("no-network-checks"),
          help: "Accepted for compatibility with Kata, whose check asks the network for a newer release; this command never uses the network.")
    var noNetworkChecks = false

    @Flag(name: .long, help: "Fail on warnings too (for example KVM usable while accelerator = \"tcg\").")
    var strict = false

    func run() throws {
        let choices = configs.isEmpty ? [ConfigurationChoice(path: nil)] : configs.map { ConfigurationChoice(path: $0) }
        let environment = ProcessEnvironment.current()
        let host = HostFacts.probe()
        var allPass = true
        for (index, choice) in choices.enumerated() {
            let check: ConfigurationCheck
            do {
                let loaded = try choice.load(environment: environment)
                let qemu = Result { () throws(QEMUProbeError) in try QEMUFacts.probe(path: loaded.configuration.hypervisor.path) }
                check = ConfigurationCheck(loaded: loaded, source: choice.sourceDescription(loaded), host: host, qemu: qemu)
            } catch {
                check = ConfigurationCheck(name: choice.displayName, loadError: error)
            }
            if index > 0 { print("") }
            for line in check.output(verbose: verbose, strict: strict) { print(line) }
            allPass = allPass && check.passes(strict: strict)
        }
        if !allPass { throw ExitCode(1) }
    }
}
