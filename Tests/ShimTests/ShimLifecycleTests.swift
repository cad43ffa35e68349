import Foundation
import Shim
import TestSupport
import Testing

/// The Task API through `ctr` on a real containerd: exec, pause/resume,
/// metrics, kill, a terminal, event order against the runc shim, crashes of
/// the shim and of QEMU, a containerd restart, mounts, two VMs at once.
@Suite(.serialized) struct ShimLifecycleTests {
    @Test func execPauseResumeMetricsKill() async throws {
        try await KataTestbed.with { testbed in
            let started = try await testbed.ctrRun("l1", ["sleep", "600"], options: ["-d"])
            #expect(started.succeeded, "\(started.output)")
            #expect(try await testbed.taskStatus(of: "l1") == "RUNNING")
            let exec = try await testbed.ctr(["task", "exec", "--exec-id", "e1", "l1", "sh", "-c", "echo exec-out; cat /proc/1/cmdline; exit 5"])
            #expect(exec.status == 5, "\(exec.output)")
            #expect(exec.output.contains("exec-out") && exec.output.contains("sleep"))
            let stdin = try await NIOOffPool.run {
                try run(["ctr", "--address", testbed.containerd.socket, "task", "exec", "--exec-id", "e2", "l1", "sh", "-c", "tr a-z A-Z"],
                        input: Data("from stdin\n".utf8), timeout: 60)
            }
            #expect(stdin.output.contains("FROM STDIN"), "\(stdin.output)")

            #expect(try await testbed.ctr(["task", "pause", "l1"]).succeeded)
            #expect(try await testbed.taskStatus(of: "l1") == "PAUSED")
            #expect(try await testbed.ctr(["task", "resume", "l1"]).succeeded)
            #expect(try await testbed.taskStatus(of: "l1") == "RUNNING")
            let resumeAgain = try await testbed.ctr(["task", "resume", "l1"])
            #expect(!resumeAgain.succeeded && resumeAgain.output.contains("failed precondition"), "\(resumeAgain.output)")

            let metrics = try await testbed.ctr(["task", "metrics", "l1"])
            #expect(metrics.succeeded && metrics.output.contains("memory.usage_in_bytes") && metrics.output.contains("pids.current"), "\(metrics.output)")
            let pid = try await testbed.taskPID(of: "l1")
            #expect(KataTestbed.commandLine(of: pid).contains("qemu-system"), "the task pid is the VM's")
            let cgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
            #expect(cgroups.contains("memory:/default/l1") && cgroups.contains("pids:/default/l1"),
                    "QEMU runs in the cgroup containerd gave the task: \(cgroups)")

            #expect(try await testbed.ctr(["task", "kill", "-s", "KILL", "l1"]).succeeded)
            try await testbed.waitUntil("l1 stopped") { try await testbed.taskStatus(of: "l1") == "STOPPED" }
            let again = try await testbed.ctr(["task", "kill", "-s", "KILL", "l1"])
            #expect(again.succeeded, "killing an exited task is fine: \(again.output)")
            #expect(try await testbed.ctr(["task", "delete", "l1"]).succeeded)
            #expect(try await testbed.ctr(["container", "rm", "l1"]).succeeded)
            try await testbed.expectNothingLeft(of: ["l1"])
        }
    }

    @Test func interactiveTerminal() async throws {
        try await KataTestbed.with { testbed in
            let session = "kata-\(getpid())"
            let command = (["ctr", "--address", testbed.containerd.socket, "run", "--rm", "-t"] + testbed.runtimeFlags
                + [TestImages.busyboxReference, "tty1", "sh"]).joined(separator: " ")
            let tmux = ["tmux", "-L", session]
            // tmux runs off the cooperative pool, like every blocking command here.
            @Sendable func tmuxDo(_ arguments: [String]) async throws -> String {
                try await NIOOffPool.run { try run(tmux + arguments, package: "tmux").output }
            }
            func screen() async throws -> String { try await tmuxDo(["capture-pane", "-p", "-t", "t"]) }
            // system(3), not Foundation's Process: the tmux server that new-session
            // forks inherits the descriptor through which Process learns of an exit.
            let started = try await NIOOffPool.run {
                system("tmux -L \(session) new-session -d -s t -x 100 -y 30 '\(command); echo EXITED $?; sleep 60' </dev/null >/dev/null 2>&1")
            }
            try #require(started == 0, "tmux new-session failed (install tmux)")
            defer { _ = try? run(tmux + ["kill-server"], package: "tmux") }
            do {
                try await testbed.waitUntil("the shell prompt", timeout: 60) {
                    let text = try await screen()
                    if text.contains("EXITED") { throw CommandError(description: "ctr ended before the prompt") }
                    return text.contains("/ #")
                }
            } catch {
                Issue.record("no prompt; the screen:\n\(try await screen())")
                throw error
            }
            // Keys typed while ctr switches its terminal to raw mode can be dropped: type again until answered.
            var answered = false
            for _ in 0..<5 where !answered {
                _ = try await tmuxDo(["send-keys", "-t", "t", "echo hello-$((6*7)); stty size; tty", "Enter"])
                answered = (try? await testbed.waitUntil("the answer", timeout: 3) { try await screen().contains("/dev/pts/") }) != nil
            }
            let text = try await screen()
            #expect(text.contains("hello-42") && text.contains("30 100"), "\(text)")
            _ = try await tmuxDo(["send-keys", "-t", "t", "exit 7", "Enter"])
            try await testbed.waitUntil("the exit") { try await screen().contains("EXITED") }
            #expect(try await screen().contains("EXITED 7"))
            try await testbed.expectNothingLeft(of: ["tty1"])
        }
    }

    /// The same commands through the runc shim and ours: containerd sees the same topics in the same order.
    @Test func eventOrderMatchesTheRuncShim() async throws {
        try await KataTestbed.with { testbed in
            let events = try testbed.containerd.subscribeToEvents()
            defer { events.stop() }
            try await Task.sleep(nanoseconds: 300_000_000)
            for (id, runtime) in [("runc-ev", ["--runtime", "io.containerd.runc.v2"]), ("kata-ev", testbed.runtimeFlags)] {
                _ = try await testbed.ctr(["run", "--rm"] + runtime + [TestImages.busyboxReference, id, "sh", "-c", "exit 3"])
                _ = try await testbed.ctr(["run", "-d"] + runtime + [TestImages.busyboxReference, id + "-x", "sleep", "600"])
                _ = try await testbed.ctr(["task", "exec", "--exec-id", "x1", id + "-x", "true"])
                try await testbed.remove(id + "-x")
            }
            try await events.waitFor("the kata task's delete event", timeout: 30) {
                KataTestbed.topics(in: events.log, for: "kata-ev-x").contains("/tasks/delete")
            }
            for suffix in ["", "-x"] {
                let runc = KataTestbed.topics(in: events.log, for: "runc-ev" + suffix)
                let kata = KataTestbed.topics(in: events.log, for: "kata-ev" + suffix)
                #expect(!kata.isEmpty && kata == runc, "runc: \(runc)\nkata: \(kata)\n\(events.log)")
            }
            #expect(events.log.contains("\"id\":\"x1\""), "TaskExit of an exec carries the exec id")
            try await testbed.expectNothingLeft(of: ["kata-ev", "kata-ev-x"])
        }
    }

    @Test func killedShimIsCleanedUpByDelete() async throws {
        try await KataTestbed.with { testbed in
            #expect(try await testbed.ctrRun("k1", ["sleep", "600"], options: ["-d"]).succeeded)
            let shim = try testbed.shimPID(of: "k1")
            kill(shim, SIGKILL)
            // containerd notices the closed connection and runs `delete`.
            try await testbed.waitUntil("k1 stopped after the shim died") { try await testbed.taskStatus(of: "k1") != "RUNNING" }
            _ = try await testbed.ctr(["task", "delete", "-f", "k1"])
            _ = try await testbed.ctr(["container", "rm", "k1"])
            try await testbed.expectNothingLeft(of: ["k1"])
        }
    }

    @Test func killedQEMUEndsTheTask() async throws {
        try await KataTestbed.with { testbed in
            let events = try testbed.containerd.subscribeToEvents()
            defer { events.stop() }
            #expect(try await testbed.ctrRun("q1", ["sleep", "600"], options: ["-d"]).succeeded)
            let qemu = try await testbed.taskPID(of: "q1")
            let killed = Date()
            kill(qemu, SIGKILL)
            try await events.waitFor("TaskExit of q1", timeout: 20) { KataTestbed.topics(in: events.log, for: "q1").contains("/tasks/exit") }
            #expect(Date().timeIntervalSince(killed) < 10)
            #expect(try await testbed.taskStatus(of: "q1") == "STOPPED")
            #expect(try await testbed.ctr(["task", "delete", "q1"]).succeeded)
            #expect(try await testbed.ctr(["container", "rm", "q1"]).succeeded)
            try await testbed.expectNothingLeft(of: ["q1"])
        }
    }

    @Test func containerdRestartLeavesTheTaskRunning() async throws {
        try await KataTestbed.with { testbed in
            #expect(try await testbed.ctrRun("r1", ["sleep", "600"], options: ["-d"]).succeeded)
            testbed.containerd.stopDaemon()
            try await testbed.containerd.start()
            #expect(try await testbed.taskStatus(of: "r1") == "RUNNING")
            let exec = try await testbed.ctr(["task", "exec", "--exec-id", "after", "r1", "echo", "still-here"])
            #expect(exec.succeeded && exec.output.contains("still-here"), "\(exec.output)")
            #expect(try await testbed.ctr(["task", "kill", "-s", "KILL", "r1"]).succeeded)
            try await testbed.waitUntil("r1 stopped") { try await testbed.taskStatus(of: "r1") == "STOPPED" }
            #expect(try await testbed.ctr(["task", "delete", "r1"]).succeeded)
            #expect(try await testbed.ctr(["container", "rm", "r1"]).succeeded)
            try await testbed.expectNothingLeft(of: ["r1"])
        }
    }

    @Test func mountsAndTwoVMsAtOnce() async throws {
        try await KataTestbed.with { testbed in
            let host = try makeTemporaryDirectory("kmnt")
            defer { try? FileManager.default.removeItem(atPath: host) }
            try "from-the-host\n".write(toFile: host + "/marker", atomically: true, encoding: .utf8)
            try "nameserver 198.18.0.53\nsearch kata.test\n".write(toFile: host + "/resolv.conf", atomically: true, encoding: .utf8)
            try "spec-host\n".write(toFile: host + "/hostname", atomically: true, encoding: .utf8)
            let mounts = ["--mount", "type=bind,src=\(host),dst=/data,options=rbind:ro",
                          "--mount", "type=bind,src=\(host)/resolv.conf,dst=/etc/resolv.conf,options=rbind:ro",
                          "--mount", "type=bind,src=\(host)/hostname,dst=/etc/hostname,options=rbind:ro"]
            #expect(try await testbed.ctrRun("m1", ["sleep", "600"], options: ["-d"] + mounts).succeeded)
            #expect(try await testbed.ctrRun("m2", ["sleep", "600"], options: ["-d"]).succeeded)
            let seen = try await testbed.ctr(["task", "exec", "--exec-id", "c", "m1", "sh", "-c",
                                              "cat /data/marker /etc/resolv.conf /etc/hostname; touch /data/x 2>&1 || echo read-only"])
            #expect(seen.output.contains("from-the-host") && seen.output.contains("nameserver 198.18.0.53")
                    && seen.output.contains("spec-host") && seen.output.contains("read-only"), "\(seen.output)")
            let guestKernel = try KataTestbed.guestKernelRelease()
            for id in ["m1", "m2"] {
                let uname = try await testbed.ctr(["task", "exec", "--exec-id", "u", id, "uname", "-r"])
                #expect(uname.output.contains(guestKernel), "\(id): \(uname.output)")
            }
            let pids = [try await testbed.taskPID(of: "m1"), try await testbed.taskPID(of: "m2")]
            #expect(pids[0] != pids[1], "two VMs")
            try await testbed.remove("m1")
            #expect(try await testbed.taskStatus(of: "m2") == "RUNNING", "removing one VM leaves the other alone")
            try await testbed.remove("m2")
            try await testbed.expectNothingLeft(of: ["m1", "m2"])
        }
    }
}
