import CLinux
import Glibc
import NIOConcurrencyHelpers

/// How a process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        if status & 0x7F == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(status & 0x7F)
        }
    }

    /// The shell's convention, which Kata's WaitProcess answers: the exit code,
    /// or 128 + the signal number.
    public var shellCode: Int32 {
        switch self {
        case let .exited(code): code
        case let .signaled(signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case let .exited(code): "exit status \(code)"
        case let .signaled(signal): "killed by signal \(signal)"
        }
    }
}

/// Spawns children with an exact descriptor map and reaps them. By default
/// only the children it spawned, each with its own `waitpid(pid)`, so that
/// other code in the process (Foundation's Process, a test runner) keeps its
/// children. `reapAllChildren()` switches to reaping every child, the orphans
/// re-parented to us included: the agent is a child subreaper, or PID 1 in the
/// guest, and containers' processes land there when the runtime exits; one
/// thread then blocks in `waitpid(-1)`. Waiters are resumed with the status
/// whether they asked before or after the exit.
public final class ChildReaper: Sendable {
    public static let shared = ChildReaper()

    private struct State {
        var waiters: [pid_t: [CheckedContinuation<ExitStatus, Never>]] = [:]
        /// Exits nobody has asked for yet (bounded: orphans nobody waits for).
        var unclaimed: [pid_t: ExitStatus] = [:]
        var unclaimedOrder: [pid_t] = []
        var reapsAll = false
    }

    private let state = NIOLockedValueBox(State())
    /// Counts spawns, so that the reaping thread sleeps while there are no children.
    private let children = ConditionLock(value: 0)

    private init() {}

    /// Makes this process a child subreaper and reaps every child from now on.
    public func reapAllChildren() {
        let first = state.withLockedValue { state -> Bool in
            defer { state.reapsAll = true }
            return !state.reapsAll
        }
        guard first else { return }
        _ = cs_set_child_subreaper()
        startThread { $0.reapForever() }
    }

    private func startThread(_ body: @escaping @Sendable (ChildReaper) -> Void) {
        DedicatedThread.start { body(self) }
    }

    /// Waits for one child of ours on a thread of its own.
    private func reapOne(_ pid: pid_t) {
        startThread { reaper in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                // Interrupted; or already reaped by a reapAllChildren() switch, which delivers it.
                if errno != EINTR { return }
            }
            reaper.deliver(pid: pid, status: ExitStatus(waitStatus: status))
        }
    }

    private func reapForever() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid > 0 {
                deliver(pid: pid, status: ExitStatus(waitStatus: status))
            } else if errno == ECHILD {
                // No children: sleep until the next spawn.
                children.lock(whenValue: 1)
                children.unlock(withValue: 0)
            }
        }
    }

    private func deliver(pid: pid_t, status: ExitStatus) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<ExitStatus, Never>] in
            if let waiters = state.waiters.removeValue(forKey: pid) { return waiters }
            state.unclaimed[pid] = status
            state.unclaimedOrder.append(pid)
            if state.unclaimedOrder.count > 4096 {
                state.unclaimed.removeValue(forKey: state.unclaimedOrder.removeFirst())
            }
            return []
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Tells the reaping thread that there is a child to wait for.
    public func noteChild() {
        children.lock()
        children.unlock(withValue: 1)
    }

    /// Waits for `pid` (a child or an orphan re-parented to us) to exit.
    public func wait(for pid: pid_t) async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let done = state.withLockedValue { state -> ExitStatus? in
                if let status = state.unclaimed.removeValue(forKey: pid) {
                    state.unclaimedOrder.removeAll { $0 == pid }
                    return status
                }
                state.waiters[pid, default: []].append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Spawns `path` with `arguments` (argv[0] included) and exactly the
    /// descriptors in `descriptors` (source in this process → number in the child).
    public func spawn(
        _ path: String, _ arguments: [String], environment: [String],
        descriptors: [(source: Int32, target: Int32)], directory: String? = nil, newProcessGroup: Bool = false
    ) throws -> pid_t {
        let pid = try rawSpawn(path, arguments, environment: environment, descriptors: descriptors,
                               directory: directory, newProcessGroup: newProcessGroup)
        if state.withLockedValue({ $0.reapsAll }) {
            noteChild()
        } else {
            reapOne(pid)
        }
        return pid
    }
}

extension ChildReaper {
    /// Spawns a child that this process will not wait for (it exits first:
    /// the child is re-parented and reaped by init or a subreaper).
    public func spawnDetached(
        _ path: String, _ arguments: [String], environment: [String],
        descriptors: [(source: Int32, target: Int32)], directory: String? = nil
    ) throws -> pid_t {
        try rawSpawn(path, arguments, environment: environment, descriptors: descriptors, directory: directory, newProcessGroup: true)
    }

    private func rawSpawn(
        _ path: String, _ arguments: [String], environment: [String],
        descriptors: [(source: Int32, target: Int32)], directory: String?, newProcessGroup: Bool
    ) throws -> pid_t {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = cs_spawn(path, &argv, &envp, descriptors.map(\.source), descriptors.map(\.target), Int32(descriptors.count),
                          directory, newProcessGroup ? Int32(CS_SPAWN_SETPGROUP) : 0, &pid)
        guard rc == 0 else { throw SpawnError(path: path, errno: rc) }
        return pid
    }
}

/// A child that could not be started.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
}
