import Foundation
import TestSupport

/// The built `kata-runtime` (swift build puts it next to the tests).
let kataRuntimePath = packageRoot + "/.build/debug/kata-runtime"

/// Runs `kata-runtime arguments` with this process's environment minus
/// `KATA_CONF_FILE`, so that only the arguments choose the configuration.
func kataRuntime(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandResult {
    var environment = ProcessInfo.processInfo.environment
    environment["KATA_CONF_FILE"] = nil
    environment.merge(extra) { $1 }
    return try run([kataRuntimePath] + arguments, environment: environment, timeout: 60)
}

/// A directory written by `hack/dev-config.sh` (the development host's
/// configuration), removed by `body`'s caller through `defer`.
func makeDevConfiguration() throws -> String {
    let directory = try makeTemporaryDirectory("krc-dev")
    try output(of: ["bash", packageRoot + "/hack/dev-config.sh", directory])
    return directory
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func writeText(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
