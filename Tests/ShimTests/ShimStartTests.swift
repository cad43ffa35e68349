import Foundation
import Protocols
import Shim
import SwiftProtobuf
import TestSupport
import Testing

/// The pure parts of `start`: the socket address and the stdin forms.
@Suite struct ShimStartTests {
    /// What containerd 1.6.20's own runc shim printed for `-address
    /// /var/tmp/kata-lab/containerd.sock -namespace default -id tr2 start`, run by hand on this host.
    @Test func socketAddressMatchesContainerdsOwnShim() throws {
        let address = try ShimSocketAddress(containerdAddress: "/var/tmp/kata-lab/containerd.sock", namespace: "default", groupID: "tr2")
        #expect(address.description == "unix:///run/containerd/s/3570d9dcf81ebdb979410ed2136a1d8c98fcb72e1ad5c29277ed3d1a78c53e88")
    }

    @Test func socketAddressIsTheSHA256OfAddressNamespaceAndGroup() throws {
        let input = "/tmp/ctrd-x/containerd.sock/k8s.io/sandbox-1234"
        let expected = try output(of: ["sh", "-c", "printf %s '\(input)' | sha256sum"]).split(separator: " ").first.map(String.init)
        let address = try ShimSocketAddress(containerdAddress: "/tmp/ctrd-x/containerd.sock", namespace: "k8s.io", groupID: "sandbox-1234",
                                            socketDirectory: "/tmp/s/")
        #expect(address.path == "/tmp/s/" + (expected ?? ""))
        #expect(throws: ShimSocketAddress.TooLong.self) {
            try ShimSocketAddress(containerdAddress: "a", namespace: "b", groupID: "c", socketDirectory: "/" + String(repeating: "d", count: 60))
        }
    }

    @Test func podContainersGroupUnderTheirSandbox() {
        #expect(ShimSocketAddress.groupID(taskID: "c1", annotations: ["io.kubernetes.cri.sandbox-id": "sb"]) == "sb")
        #expect(ShimSocketAddress.groupID(taskID: "c1", annotations: ["io.containerd.runc.v2.group": "g"]) == "g")
        #expect(ShimSocketAddress.groupID(taskID: "c1", annotations: [:]) == "c1")
    }

    static func optionsAny(_ configPath: String) throws -> Google_Protobuf_Any {
        var any = Google_Protobuf_Any()
        any.typeURL = "runtimeoptions.v1.Options"
        any.value = try Runtimeoptions_V1_Options.with { $0.configPath = configPath }.serializedBytes()
        return any
    }

    @Test func emptyStdinAndRuntimeOptions() throws {
        #expect(try StartInput(stdin: [], taskID: "t") == .empty)
        let bytes: [UInt8] = try Self.optionsAny("/opt/kata/configuration-qemu-coco-dev.toml").serializedBytes()
        let input = try StartInput(stdin: bytes, taskID: "t")
        #expect(input.runtimeOptions?.configPath == "/opt/kata/configuration-qemu-coco-dev.toml")
        #expect(input.socketDirectory == "/run/containerd/s")
        let address = try ShimSocketAddress(containerdAddress: "/c.sock", namespace: "default", groupID: "t")
        #expect(try input.answer(for: address) == Array(address.description.utf8), "a plain address: all 1.6 reads")
        // Another runtime's options are not ours: no options, no error.
        var other = Google_Protobuf_Any()
        other.typeURL = "containerd.runc.v1.Options"
        #expect(try StartInput(stdin: try other.serializedBytes(), taskID: "t").runtimeOptions == nil)
        #expect(throws: StartInput.Malformed.self) { try StartInput(stdin: [0xFF, 0xFF, 0xFF], taskID: "t") }
    }

    /// containerd 2.3's BootstrapParams as recorded, and the BootstrapResult it wants back.
    @Test func bootstrapParamsFromContainerd23() throws {
        let trace = packageRoot + "/../shared/reference/traces/bootstrapparams-2.3.4-cri-sandbox-start.bin"
        var params = Containerd_Runtime_Bootstrap_V1_BootstrapParams()
        if let recorded = FileManager.default.contents(atPath: trace) {
            params = try Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: [UInt8](recorded))
        } else {
            // Without the recording beside the package: the same shape, built here.
            params.instanceID = "ccbac486390f1b0983067ddf5a5e70cd5cd7d4e3185b78a1869c0d1bdecf4bf3"
            params.namespace = "k8s.io"
            params.socketDir = "/run/containerd/s"
            params.extensions = [Containerd_Runtime_Bootstrap_V1_Extension.with { $0.value = try! Self.optionsAny("/x.toml") }]
        }
        let bytes: [UInt8] = try params.serializedBytes()
        let input = try StartInput(stdin: bytes, taskID: params.instanceID)
        guard case let .bootstrap(decoded, options) = input else {
            Issue.record("expected BootstrapParams, got \(input)")
            return
        }
        #expect(decoded.namespace == "k8s.io")
        #expect(options?.configPath.hasSuffix(".toml") == true)
        #expect(input.socketDirectory == "/run/containerd/s")
        // The same bytes with another -id read as an Any would not decode to options: never confused.
        #expect((try? StartInput(stdin: bytes, taskID: "other"))?.runtimeOptions == nil)

        let address = try ShimSocketAddress(containerdAddress: "/c.sock", namespace: "k8s.io", groupID: params.instanceID)
        let result = try Containerd_Runtime_Bootstrap_V1_BootstrapResult(serializedBytes: try input.answer(for: address))
        #expect(result.version == 3 && result.protocol == "ttrpc" && result.address == address.description)
    }
}
