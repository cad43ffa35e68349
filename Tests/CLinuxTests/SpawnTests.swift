import CLinux
import Foundation
import Testing

/// `cs_spawn` hands a child exactly the descriptors in its map (QEMU gets its
/// vhost fd, the shim daemon its socket on fd 3) and nothing else.
@Suite struct SpawnTests {
    /// Spawns `/bin/bash -c script` (bash: dash cannot name descriptors above 9) with `map` and returns what it printed on the pipe mapped to fd 1.
    func spawnAndRead(script: String, extraMap: [(Int32, Int32)]) throws -> (output: String, status: Int32) {
        var pipeFDs: [Int32] = [0, 0]
        #expect(cs_pipe_cloexec(&pipeFDs) == 0)
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        let map: [(Int32, Int32)] = [(devnull, 0), (pipeFDs[1], 1), (pipeFDs[1], 2)] + extraMap
        var pid: pid_t = 0
        let words: [String] = ["/bin/bash", "-c", script]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = map.map(\.0).withUnsafeBufferPointer { src in
            map.map(\.1).withUnsafeBufferPointer { dst in
                cs_spawn("/bin/bash", argv, environ, src.baseAddress, dst.baseAddress, Int32(map.count), "/", 0, &pid)
            }
        }
        #expect(rc == 0)
        close(pipeFDs[1])
        close(devnull)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (String(decoding: data, as: UTF8.self), (status >> 8) & 0xFF)
    }

    @Test func childSeesExactlyTheMappedDescriptors() throws {
        // Two descriptors the parent holds: only the mapped one may reach the child.
        let leaked = open("/dev/zero", O_RDONLY)  // inheritable on purpose: cs_spawn must still close it
        let mapped = open("/dev/zero", O_RDONLY | O_CLOEXEC)
        defer { close(leaked); close(mapped) }
        let (output, status) = try spawnAndRead(script: "ls /proc/self/fd; readlink /proc/self/fd/7", extraMap: [(mapped, 7)])
        #expect(status == 0)
        let fds = output.split(separator: "\n").compactMap { Int($0) }.sorted()
        // ls itself opens one descriptor for the directory it lists.
        #expect(fds.filter { $0 != 3 } == [0, 1, 2, 7], "\(output)")
        #expect(output.contains("/dev/zero"))
    }

    @Test func mapSurvivesOverlappingSourcesAndTargets() throws {
        // Swap two descriptors: each source is the other's target, so a naive
        // dup2 order would lose one. Fresh CLOEXEC duplicates: fixed numbers
        // would collide with descriptors of tests running in parallel.
        var a: [Int32] = [0, 0]
        var b: [Int32] = [0, 0]
        #expect(cs_pipe_cloexec(&a) == 0 && cs_pipe_cloexec(&b) == 0)
        let fdA = fcntl(a[1], F_DUPFD_CLOEXEC, 3), fdB = fcntl(b[1], F_DUPFD_CLOEXEC, 3)
        let (_, status) = try spawnAndRead(script: "echo to-a >&\(fdB); echo to-b >&\(fdA)", extraMap: [(fdA, fdB), (fdB, fdA)])
        #expect(status == 0)
        [a[1], b[1], fdA, fdB].forEach { close($0) }
        defer { close(a[0]); close(b[0]) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let nA = read(a[0], &buffer, 64)
        #expect(String(decoding: buffer[..<max(nA, 0)], as: UTF8.self) == "to-a\n")
        let nB = read(b[0], &buffer, 64)
        #expect(String(decoding: buffer[..<max(nB, 0)], as: UTF8.self) == "to-b\n")
    }

    @Test func pidfdBecomesReadableWhenTheChildExits() throws {
        let (_, status) = try spawnAndRead(script: "exit 3", extraMap: [])
        #expect(status == 3)
        var pid: pid_t = 0
        let words: [String] = ["/bin/sleep", "0.2"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let src: [Int32] = [devnull, devnull, devnull], dst: [Int32] = [0, 1, 2]
        #expect(cs_spawn("/bin/sleep", argv, environ, src, dst, 3, nil, Int32(CS_SPAWN_SETPGROUP), &pid) == 0)
        let pidfd = cs_pidfd_open(pid)
        #expect(pidfd >= 0)
        var pollfd = Glibc.pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pollfd, 1, 0) == 0, "not readable while the child runs")
        #expect(poll(&pollfd, 1, 5000) == 1, "readable once it exits")
        #expect(getpgid(pid) == pid, "own process group")
        var wstatus: Int32 = 0
        waitpid(pid, &wstatus, 0)
        close(pidfd)
    }

    @Test func vhostVsockIoctlOnANonVhostDescriptorFails() {
        let fd = open("/dev/null", O_RDWR)
        defer { close(fd) }
        #expect(cs_vhost_vsock_set_guest_cid(fd, 3) == -1)
        #expect(errno == ENOTTY)
    }
}
