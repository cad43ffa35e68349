import Foundation

/// Local container images for tests, built by hack/busybox-image.sh into
/// `<packageRoot>/build/images` (no registry, no image tools):
/// - `busybox`: imports as `localhost/busybox:local` (busybox-static, cmd /bin/sh)
/// - `pause`: imports as `localhost/pause:local` (entrypoint /pause)
///
/// The script runs at most once per test process, on first use, whichever
/// thread gets there first (the others wait for it); it does nothing when the
/// archives are newer than their inputs, and concurrent test processes take
/// turns on a lock in the output directory. `PrivateContainerd.importImages`
/// imports both.
public enum TestImages {
    public static let directory = packageRoot + "/build/images"
    public static let script = packageRoot + "/hack/busybox-image.sh"

    /// The busybox image archive (`ctr images import` names it localhost/busybox:local).
    public static var busybox: String {
        get throws { try built.get().busybox }
    }

    /// The pause image archive (`ctr images import` names it localhost/pause:local).
    public static var pause: String {
        get throws { try built.get().pause }
    }

    public static let busyboxReference = "localhost/busybox:local"
    public static let pauseReference = "localhost/pause:local"

    /// Lazily initialized globals run exactly once, and every other caller
    /// waits for the first: the build is thread-safe without a lock of ours.
    /// It blocks its thread for up to a few seconds; async callers go through
    /// `NIOOffPool` (as `importImages` does).
    private static let built: Result<(busybox: String, pause: String), CommandError> = {
        do {
            let result = try run(["bash", script, directory], timeout: 300, package: "bash")
            guard result.succeeded else {
                return .failure(CommandError(description: "\(script) \(directory) exited with \(result.status) (it needs python3, gcc and busybox-static):\n\(result.output)"))
            }
        } catch let error as CommandError {
            return .failure(error)
        } catch {
            return .failure(CommandError(description: "\(script) \(directory): \(error)"))
        }
        let paths = (busybox: directory + "/busybox.tar", pause: directory + "/pause.tar")
        for path in [paths.busybox, paths.pause] where !FileManager.default.fileExists(atPath: path) {
            return .failure(CommandError(description: "\(script) succeeded but \(path) does not exist"))
        }
        return .success(paths)
    }()
}
