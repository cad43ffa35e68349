import Foundation
import TestSupport
import Testing

/// The local test images (hack/busybox-image.sh) import into a real
/// containerd and run under containerd's own runc shim: what the shim tests
/// rely on before they try the same images with ours.
@Suite(.serialized) struct TestImagesTests {
    @Test(.timeLimit(.minutes(3)))
    func busyboxAndPauseRunWithRunc() async throws {
        let containerd = try await PrivateContainerd()
        defer { containerd.destroy() }
        // Its own namespace: ctr's cgroups go under /NAMESPACE, which destroy() removes.
        let namespace = "testimages"
        try await containerd.importImages(namespaces: [namespace])

        let images = try await NIOOffPool.run { try containerd.ctr(["images", "ls", "-q"], namespace: namespace) }
        #expect(images.output.contains(TestImages.busyboxReference), "\(images.output)")
        #expect(images.output.contains(TestImages.pauseReference), "\(images.output)")

        let id = "images-\(UInt32.random(in: 0..<UInt32.max))"
        let echo = try await NIOOffPool.run {
            try containerd.ctr(["run", "--rm", "--runtime", "io.containerd.runc.v2", TestImages.busyboxReference, id, "echo", "hi"], namespace: namespace)
        }
        #expect(echo.succeeded, "\(echo.output)")
        #expect(echo.output == "hi\n", "\(echo.output)")

        // The image's config: cmd /bin/sh, which reads /dev/null and exits 0.
        // (Without --null-io it would wait forever: ctr does not close the
        // container's stdin when its own reaches EOF.)
        let shell = try await NIOOffPool.run {
            try containerd.ctr(["run", "--rm", "--null-io", "--runtime", "io.containerd.runc.v2", TestImages.busyboxReference, id + "-sh"],
                               namespace: namespace, timeout: 60)
        }
        #expect(shell.succeeded, "\(shell.output)")

        // Its PATH, /etc/passwd and the applet links.
        let inspect = try await NIOOffPool.run {
            try containerd.ctr(["run", "--rm", "--runtime", "io.containerd.runc.v2", TestImages.busyboxReference, id + "-env",
                                "sh", "-c", "echo $PATH; id -un; test -x /bin/busybox && ls /usr/bin/wget"], namespace: namespace)
        }
        #expect(inspect.output == "/bin:/usr/bin:/sbin:/usr/sbin\nroot\n/usr/bin/wget\n", "\(inspect.output)")

        // pause runs until SIGTERM and then exits 0.
        let pauseID = id + "-pause"
        let started = try await NIOOffPool.run {
            try containerd.ctr(["run", "-d", "--runtime", "io.containerd.runc.v2", TestImages.pauseReference, pauseID], namespace: namespace)
        }
        #expect(started.succeeded, "\(started.output)")
        defer {
            _ = try? containerd.ctr(["task", "kill", "-s", "KILL", pauseID], namespace: namespace)
            _ = try? containerd.ctr(["task", "delete", "--force", pauseID], namespace: namespace)
            _ = try? containerd.ctr(["containers", "delete", pauseID], namespace: namespace)
        }
        var status = ""
        for _ in 0..<100 {
            status = try await NIOOffPool.run { try containerd.ctr(["task", "ls"], namespace: namespace).output }
            if status.contains(pauseID) && status.contains("RUNNING") { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(status.contains("RUNNING"), "\(status)")
        try await Task.sleep(nanoseconds: 200_000_000)  // still running a moment later
        status = try await NIOOffPool.run { try containerd.ctr(["task", "ls"], namespace: namespace).output }
        #expect(status.contains("RUNNING"), "\(status)")

        let kill = try await NIOOffPool.run { try containerd.ctr(["task", "kill", "-s", "TERM", pauseID], namespace: namespace) }
        #expect(kill.succeeded, "\(kill.output)")
        for _ in 0..<100 {
            status = try await NIOOffPool.run { try containerd.ctr(["task", "ls"], namespace: namespace).output }
            if status.contains("STOPPED") { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(status.contains("STOPPED"), "\(status)")
        // `ctr task delete ID` exits with the task's exit status.
        let deleted = try await NIOOffPool.run { try containerd.ctr(["task", "delete", pauseID], namespace: namespace) }
        #expect(deleted.status == 0, "\(deleted.output)")
        let removed = try await NIOOffPool.run { try containerd.ctr(["containers", "delete", pauseID], namespace: namespace) }
        #expect(removed.succeeded, "\(removed.output)")
    }

    /// A container left running when containerd is gone: destroy() kills its
    /// shim and the container by pid, removes the shim's socket, ctr's IO
    /// fifos, the rootfs mount, the cgroups and the directory.
    @Test(.timeLimit(.minutes(2)))
    func destroyLeavesNothingBehind() async throws {
        let containerd = try await PrivateContainerd()
        var destroyed = false
        defer { if !destroyed { containerd.destroy() } }
        let namespace = "testimages-leftover"
        try await containerd.importImages(namespaces: [namespace])
        let id = "leftover-\(UInt32.random(in: 0..<UInt32.max))"
        let started = try await NIOOffPool.run {
            try containerd.ctr(["run", "-d", "--runtime", "io.containerd.runc.v2", TestImages.busyboxReference, id, "sleep", "600"],
                               namespace: namespace, timeout: 60)
        }
        #expect(started.succeeded, "\(started.output)")
        let address = (try? String(contentsOfFile: "\(containerd.state)/io.containerd.runtime.v2.task/\(namespace)/\(id)/address",
                                   encoding: .utf8)) ?? ""
        let shimSocket = address.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "unix://", with: "")
        let processes = containerd.shimProcesses()
        #expect(processes.count >= 2, "the shim and `sleep 600`: \(processes)")

        containerd.stopDaemon()  // the harsh case: no containerd to delete the task
        containerd.destroy()
        destroyed = true

        let alive = processes.filter { pid in
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return !stat.isEmpty && !(stat.split(separator: ")").last ?? "").hasPrefix(" Z")
        }
        #expect(alive.isEmpty, "still running: \(alive)")
        #expect(!FileManager.default.fileExists(atPath: containerd.directory))
        #expect(!shimSocket.hasPrefix("/") || !FileManager.default.fileExists(atPath: shimSocket), "\(shimSocket)")
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(containerd.directory))
        let fifos = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/containerd/fifo")) ?? []).filter { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/run/containerd/fifo/\(directory)")) ?? []).contains { $0.hasPrefix(id + "-") }
        }
        #expect(fifos.isEmpty, "ctr's IO fifos left in /run/containerd/fifo: \(fifos)")
        let cgroups = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
            .flatMap { ["/sys/fs/cgroup/\($0)/\(namespace)", "/sys/fs/cgroup/\(namespace)"] }
            .filter { FileManager.default.fileExists(atPath: $0) }
        #expect(cgroups.isEmpty, "\(cgroups)")
    }
}
