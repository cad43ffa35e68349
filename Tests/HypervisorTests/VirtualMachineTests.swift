import ChildProcesses
import Foundation
import Hypervisor
import TestSupport
import Testing

/// The VM supervisor and QMP client against a real QEMU (TCG; a bare machine
/// with no guest is enough for QMP and process supervision).
@Suite(.serialized, .timeLimit(.minutes(2))) struct VirtualMachineTests {
    static func bareMachine(_ dir: String, extra: [String] = []) throws -> VirtualMachine.Launch {
        guard let qemu = which("qemu-system-x86_64") else {
            throw CommandError(description: "qemu-system-x86_64 not found: install the Debian package qemu-system-x86 (.ci/run does)")
        }
        return VirtualMachine.Launch(
            arguments: [qemu, "-name", "bare", "-machine", "q35,accel=tcg", "-m", "64M", "-nodefaults", "-nographic",
                        "-no-user-config", "-qmp", "unix:fd=3,server=on,wait=off", "-bios", "/usr/share/qemu/qboot.rom"] + extra,
            runDirectory: dir + "/vm", qmpSocket: dir + "/vm/qmp.sock")
    }

    @Test func qmpSaysRunningAndStopRemovesEverything() async throws {
        let dir = try makeTemporaryDirectory("vmsup")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await VMSlot.run {
            let vm = try await VirtualMachine.launch(try Self.bareMachine(dir))
            let status = try await vm.qmp.queryStatus()
            #expect(status.status == "running" && status.running)
            // Commands are correlated; an error names QEMU's class and message.
            await #expect(throws: QMPError(description: "CommandNotFound: The command no-such-command has not been found")) {
                _ = try await vm.qmp.executeRaw("no-such-command")
            }
            // Events arrive in order: `stop` pauses the VM and QEMU says STOP.
            _ = try await vm.qmp.executeRaw("stop")
            var iterator = vm.qmp.events.makeAsyncIterator()
            #expect(await iterator.next()?.name == "STOP")
            #expect(try await vm.qmp.queryStatus().status == "paused")

            let pid = vm.pid
            await vm.stop()
            #expect(kill(pid, 0) != 0 && errno == ESRCH, "QEMU is gone and reaped")
            #expect(!FileManager.default.fileExists(atPath: dir + "/vm"), "its directory and sockets are removed")
        }
    }

    /// A QEMU killed behind our back is noticed at once: waitForExit returns
    /// and the health watch reports it.
    @Test func killingQEMUIsNoticedPromptly() async throws {
        let dir = try makeTemporaryDirectory("vmsup")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await VMSlot.run {
            let vm = try await VirtualMachine.launch(try Self.bareMachine(dir))
            let (failures, continuation) = AsyncStream<String>.makeStream()
            vm.watchHealth(interval: .milliseconds(100)) { continuation.yield($0) }
            let killedAt = ContinuousClock.now
            kill(vm.pid, SIGKILL)
            let status = await vm.waitForExit()
            let noticed = ContinuousClock.now - killedAt
            #expect(status == .signaled(SIGKILL))
            #expect(noticed < .seconds(2), "noticed after \(noticed)")
            var iterator = failures.makeAsyncIterator()
            let reason = await iterator.next()
            #expect(reason != nil)
            await vm.stop()
            #expect(!FileManager.default.fileExists(atPath: dir + "/vm"))
        }
    }

    @Test func aBadArgumentFailsTheLaunchWithQEMUsMessage() async throws {
        let dir = try makeTemporaryDirectory("vmsup")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try await VirtualMachine.launch(try Self.bareMachine(dir, extra: ["-device", "no-such-device"]))
            Issue.record("expected a launch error")
        } catch let error as VirtualMachine.LaunchError {
            #expect(error.description.contains("'no-such-device' is not a valid device model name"), "\(error)")
        }
    }

    @Test func vhostVsockReportsTheMissingDeviceAndTheAlternative() throws {
        do {
            _ = try VhostVsock.claim(devicePath: "/dev/vhost-vsock-absent-for-test")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "/dev/vhost-vsock-absent-for-test: No such file or directory: load the vhost_vsock module, or set agent_channel = \"virtio-serial\" in [hypervisor.qemu]")
        }
    }
}
