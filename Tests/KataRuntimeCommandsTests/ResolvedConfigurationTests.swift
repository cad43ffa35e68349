import KataConfig
import Testing
@testable import KataRuntimeCommands

/// `env` prints every key the schema knows, with the value in use.
@Suite struct ResolvedConfigurationTests {
    @Test func everyUsedSchemaKeyIsPrinted() {
        let resolved = ResolvedConfiguration(KataConfiguration())
        for section in ConfigurationSchema.sectionNames {
            let used = Set((ConfigurationSchema.knownKeys[section] ?? []).filter(\.used).map(\.name))
            let printed = Set(resolved.entries.filter { $0.section == section }.map(\.key))
            #expect(printed == used, "section \(section): missing \(used.subtracting(printed).sorted()), unknown \(printed.subtracting(used).sorted())")
        }
        #expect(resolved.sections == ["hypervisor.qemu", "agent.kata", "runtime", "factory"])
    }

    @Test func valuesFollowTheConfiguration() {
        var c = KataConfiguration()
        c.hypervisor.accelerator = .tcg
        c.hypervisor.kernelParams = ["quiet", "console=hvc0"]
        c.hypervisor.defaultVCPUs = 1.5
        c.hypervisor.initrd = "/boot/initrd.img"
        c.agent.dialTimeoutSeconds = 90
        c.runtime.experimental = ["force_guest_pull"]
        c.factory.vmCacheNumber = 3
        let resolved = ResolvedConfiguration(c, origins: ["hypervisor.qemu.accelerator": "config.d/50-dev-host.toml"])
        func entry(_ keyPath: String) -> ResolvedConfiguration.Entry? { resolved.entries.first { $0.keyPath == keyPath } }
        #expect(entry("hypervisor.qemu.accelerator")?.value == .string("tcg"))
        #expect(entry("hypervisor.qemu.accelerator")?.origin == "config.d/50-dev-host.toml")
        #expect(entry("hypervisor.qemu.kernel_params")?.value == .string("quiet console=hvc0"))
        #expect(entry("hypervisor.qemu.default_vcpus")?.value == .number(1.5))
        #expect(entry("hypervisor.qemu.initrd")?.value == .string("/boot/initrd.img"))
        #expect(entry("hypervisor.qemu.image")?.value == .string(""))
        #expect(entry("hypervisor.qemu.snp_guest_policy")?.value == .null)
        #expect(entry("agent.kata.dial_timeout")?.value == .unsigned(90))
        #expect(entry("agent.kata.dial_timeout")?.origin == "default")
        #expect(entry("runtime.experimental")?.value == .array([.string("force_guest_pull")]))
        #expect(entry("factory.vm_cache_number")?.value == .unsigned(3))
    }

    @Test func jsonRendering() {
        let value = JSONValue.object([
            ("text", .string("a \"quoted\"\\ line\n\u{1}")), ("flag", .bool(true)), ("count", .unsigned(3)),
            ("ratio", .number(1.5)), ("whole", .number(2)), ("list", .array([.string("x"), .null])), ("empty", .object([])),
        ])
        #expect(value.rendered() == #"{"text":"a \"quoted\"\\ line\n\u0001","flag":true,"count":3,"ratio":1.5,"whole":2,"list":["x",null],"empty":{}}"#)
        #expect(JSONValue.array([.string("a"), .string("b")]).tomlText == #"["a", "b"]"#)
    }
}
