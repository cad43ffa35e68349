import Files
import Glibc

/// The cgroup containerd gives the sandbox (`linux.cgroupsPath`, e.g.
/// `/default/<id>` from ctr, `/k8s.io/<sandbox id>` from CRI), made in every
/// hierarchy of the host (cgroup v1 controllers, or the v2 unified tree) so
/// that QEMU and virtiofsd are accounted where kubelet and containerd look.
/// Removed with the sandbox, once its processes are gone.
struct SandboxCgroup: Sendable, Equatable {
    /// The cgroup's directory in each hierarchy.
    let directories: [String]

    /// `path` as containerd writes it: a cgroupfs path, or systemd's `slice:prefix:name`.
    static func relativePath(_ path: String) -> String? {
        guard !path.isEmpty else { return nil }
        let parts = path.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 && !path.hasPrefix("/") {
            // systemd: the unit lives in its slice.
            return "/\(parts[0])/\(parts[1])-\(parts[2]).scope"
        }
        return path.hasPrefix("/") ? path : "/" + path
    }

    /// The hierarchies mounted under `root`: directories holding `cgroup.procs`
    /// (symbolic links such as `cpu` → `cpu,cpuacct` are the same hierarchy).
    static func hierarchies(root: String = "/sys/fs/cgroup") -> [String] {
        if access(root + "/cgroup.procs", F_OK) == 0 { return [root] }
        return directoryEntries(root).sorted().map { root + "/" + $0 }.filter { path in
            var st = stat()
            return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR && access(path + "/cgroup.procs", F_OK) == 0
        }
    }

    /// Creates the cgroup in every hierarchy; nil when the spec names none.
    static func create(path: String, hierarchies: [String] = SandboxCgroup.hierarchies()) throws -> SandboxCgroup? {
        guard let relative = relativePath(path) else { return nil }
        var made: [String] = []
        for hierarchy in hierarchies {
            let directory = hierarchy + relative
            do {
                try makeDirectories(directory)
            } catch {
                for created in made { rmdir(created) }
                throw MountError(description: "cannot create cgroup \(directory) (linux.cgroupsPath \(path)): \(error)")
            }
            made.append(directory)
            if hierarchy.hasSuffix("/cpuset") { inheritCPUSet(from: hierarchy, down: relative) }
        }
        return SandboxCgroup(directories: made)
    }

    /// A new v1 cpuset cgroup has no CPUs and no memory nodes, and refuses
    /// processes (ENOSPC) until given some: copy the parent's, level by level, as runc does.
    static func inheritCPUSet(from hierarchy: String, down relative: String) {
        var parent = hierarchy
        for component in relative.split(separator: "/") {
            let child = parent + "/" + component
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let current = (try? readTextFile(child + "/" + file))?.filter { !$0.isWhitespace } ?? ""
                guard current.isEmpty, let inherited = try? readFile(parent + "/" + file) else { continue }
                try? writeFile(child + "/" + file, inherited)
            }
            parent = child
        }
    }

    /// Moves `pid` (all its threads) into the cgroup in every hierarchy.
    func add(_ pid: pid_t) throws {
        for directory in directories {
            do {
                try writeFile(directory + "/cgroup.procs", Array(String(pid).utf8))
            } catch {
                throw MountError(description: "cannot move process \(pid) into \(directory): \(String(cString: strerror(error.code)))")
            }
        }
    }

    /// Removes the cgroup (it must be empty: call after its processes are reaped).
    func remove() {
        for directory in directories { Self.removeWhenEmpty(directory) }
    }

    /// rmdir, retried briefly: a killed process leaves its cgroup a moment after it is reaped.
    static func removeWhenEmpty(_ directory: String) {
        for _ in 0..<50 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
    }
}
