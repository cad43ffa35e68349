import Foundation
import Installer
import TestSupport
import Testing

/// `kubectl kustomize configuration/` renders the RuntimeClasses and the
/// installer DaemonSet, and every object passes the Kubernetes schema of
/// the version below (kubernetes-validate, strict: unknown fields fail).
@Suite(.enabled(if: which("kubectl") != nil, "kubectl is not installed (Debian package kubernetes-client; .ci/run installs it)"))
struct KubernetesManifestTests {
    /// A release whose schemas kubernetes-validate bundles.
    static let kubernetesVersion = "1.32.0"

    func render() throws -> String {
        let result = try run(["kubectl", "kustomize", packageRoot + "/configuration"], timeout: 60, package: "kubernetes-client")
        #expect(result.succeeded, "kubectl kustomize configuration/: \(result.output)")
        return result.output
    }

    /// kubernetes-validate on one file: its exit status and output.
    func validate(_ yaml: String, in directory: String, name: String) throws -> CommandResult {
        let path = directory + "/" + name
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        let result = try run(["python3", "-m", "kubernetes_validate", "--strict", "-k", Self.kubernetesVersion, path], timeout: 120, package: "python3")
        if result.output.contains("No module named kubernetes_validate") {
            throw CommandError(description: "kubernetes-validate is missing: python3 -m pip install --break-system-packages kubernetes-validate (.ci/run does)")
        }
        return result
    }

    @Test func renderedObjectsPassTheSchemas() throws {
        let rendered = try render()
        let directory = try makeTemporaryDirectory("kustomize-render")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try validate(rendered, in: directory, name: "rendered.yaml")
        print("kubernetes-validate --strict -k \(Self.kubernetesVersion):\n\(result.output)")
        #expect(result.succeeded, "\(result.output)")
        for kind in ["namespace/kata-shim-system", "serviceaccount/kata-shim-installer", "daemonset/kata-shim-installer"]
            + RuntimeHandler.defaults.map({ "runtimeclass/\($0.name)" }) {
            #expect(result.output.contains("passed for resource \(kind) "), "\(kind) was not validated:\n\(result.output)")
        }
        for handler in RuntimeHandler.defaults {
            #expect(rendered.contains("handler: \(handler.name)\n"))
        }
        #expect(rendered.contains("kata-runtime install --host-root /host --restart-containerd"))
        #expect(rendered.replacingOccurrences(of: " ", with: "").contains("-kata-runtime\n-uninstall\n---host-root\n-/host\n"), "the preStop hook uninstalls")
        #expect(rendered.contains("path: /\n"))
        #expect(rendered.contains("- /host\(KataLayout.defaultPrefix)/\(KataLayout.manifestName)\n"), "readiness: the manifest exists")
    }

    /// The check can fail: a misspelt field and a wrong type are both refused.
    @Test(arguments: [("handler: kata-qemu-snp\n", "handlr: kata-qemu-snp\n"), ("privileged: true", "privileged: \"yes\"")])
    func brokenManifestFailsTheSchemas(_ field: String, _ broken: String) throws {
        let rendered = try render()
        #expect(rendered.contains(field))
        let directory = try makeTemporaryDirectory("kustomize-broken")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try validate(rendered.replacingOccurrences(of: field, with: broken), in: directory, name: "broken.yaml")
        #expect(!result.succeeded, "kubernetes-validate accepted \(broken):\n\(result.output)")
    }
}
