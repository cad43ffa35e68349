import Glibc
import KataConfig
import Testing
@testable import KataRuntimeCommands

/// What the configured QEMU binary must offer.
@Suite struct QEMURequirementsTests {
    static let debianQEMU = QEMUFacts(
        path: "/usr/bin/qemu-system-x86_64",
        versionLine: "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)",
        version: "7.2.22", objectTypes: ["authz-list", "memory-backend-file", "sev-guest", "tls-creds-x509"])
    static let host = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 4, memoryMiB: 8192, hasTDX: true)

    static func confidential(snp: Bool) -> KataConfiguration {
        var c = KataConfiguration()
        c.hypervisor.confidentialGuest = true
        c.hypervisor.sevSnpGuest = snp
        return c
    }

    @Test func parsesVersion() {
        let output = "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n"
        let parsed = QEMUFacts.parseVersion(output)
        #expect(parsed.line == "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)")
        #expect(parsed.version == "7.2.22")
        #expect(QEMUFacts.parseVersion("something else\n").version == "")
    }

    @Test func parsesObjectTypes() {
        let output = "List of user creatable objects:\n  authz-list\n  sev-guest\n  tdx-guest\n"
        #expect(QEMUFacts.parseObjectTypes(output) == ["authz-list", "sev-guest", "tdx-guest"])
        let facts = QEMUFacts(path: "/q", versionLine: "", version: "", objectTypes: QEMUFacts.parseObjectTypes(output))
        #expect(facts.confidentialTechnologies == [.tdx, .sev])
    }

    @Test func nonConfidentialConfigurationsNeedNoObject() {
        #expect(QEMURequirements.check(KataConfiguration(), host: Self.host, qemu: .success(Self.debianQEMU)) == [])
    }

    @Test func tdxObjectMissing() {
        let problems = QEMURequirements.check(Self.confidential(snp: false), host: Self.host, qemu: .success(Self.debianQEMU))
        #expect(problems.map(\.requirement) == ["tdx-guest"])
        #expect(problems.first?.message == "/usr/bin/qemu-system-x86_64 (QEMU 7.2.22) has no tdx-guest object, which a TDX guest needs (it knows sev-guest): install QEMU 10.1 or later, or Kata's QEMU, and set path in [hypervisor.qemu] to it")
    }

    @Test func snpObjectMissing() {
        let host = HostFacts(kvm: .usable, hasVhostVsock: true, cpuCount: 4, memoryMiB: 8192, hasSEVSNP: true)
        let problems = QEMURequirements.check(Self.confidential(snp: true), host: host, qemu: .success(Self.debianQEMU))
        #expect(problems.map(\.requirement) == ["sev-snp-guest"])
        // Without sev_snp_guest an SEV-SNP host runs plain SEV, which this QEMU knows.
        #expect(QEMURequirements.check(Self.confidential(snp: false), host: host, qemu: .success(Self.debianQEMU)) == [])
    }

    @Test func objectPresent() {
        var kataQEMU = Self.debianQEMU
        kataQEMU.objectTypes += ["sev-snp-guest", "tdx-guest"]
        #expect(QEMURequirements.check(Self.confidential(snp: false), host: Self.host, qemu: .success(kataQEMU)) == [])
        #expect(QEMURequirements.check(Self.confidential(snp: true), host: Self.host, qemu: .success(kataQEMU)) == [])
    }

    @Test func missingBinaryNamesThePathKey() {
        let problems = QEMURequirements.check(KataConfiguration(), host: Self.host, qemu: .failure(.missing(path: "/opt/kata/bin/qemu-system-x86_64")))
        #expect(problems == [HostProblem(
            requirement: "hypervisor.qemu.path",
            message: "hypervisor.qemu.path: the QEMU binary /opt/kata/bin/qemu-system-x86_64 does not exist: install QEMU (Debian: qemu-system-x86) or Kata's QEMU, or set path in [hypervisor.qemu] to the binary")])
    }

    @Test func probeOfAMissingOrWrongBinary() {
        #expect(throws: QEMUProbeError.missing(path: "/nonexistent/qemu")) { try QEMUFacts.probe(path: "/nonexistent/qemu") }
        #expect(throws: QEMUProbeError.notExecutable(path: "/etc")) { try QEMUFacts.probe(path: "/etc") }
        // A program that fails: the error quotes the command.
        #expect(throws: QEMUProbeError.self) { try QEMUFacts.probe(path: "/bin/false") }
    }

    @Test func probeOfThisHostsQEMU() throws {
        let path = "/usr/bin/qemu-system-x86_64"
        guard access(path, X_OK) == 0 else {
            #expect(throws: QEMUProbeError.self) { try QEMUFacts.probe(path: path) }
            return
        }
        let facts = try QEMUFacts.probe(path: path)
        #expect(facts.versionLine.hasPrefix("QEMU emulator version "))
        #expect(!facts.version.isEmpty)
        // Every QEMU since 2.12 builds sev-guest on x86.
        #expect(facts.objectTypes.contains("sev-guest"))
        #expect(facts.objectTypes.contains("memory-backend-file"))
    }
}
