import Glibc
import Shim
import Testing

@Suite struct ProcessFiguresTests {
    @Test func readsThisProcess() throws {
        let figures = try ProcessFigures(procDirectory: "/proc/self")
        #expect(figures.descriptors > 2)
        #expect(figures.threads > 0)
        #expect(figures.status["vmrss", default: 0] > 1 << 20)
        #expect(figures.status["vmsize", default: 0] >= figures.status["vmrss", default: 0])
        #expect(figures.status["voluntary_ctxt_switches"] != nil)
        #expect(figures.stat.keys.sorted() == ["cstime", "cutime", "stime", "utime"])
        #expect(figures.residentBytes > 1 << 20)
        #expect(figures.virtualBytes > figures.residentBytes)
        #expect(figures.io["rchar", default: 0] > 0)
        #expect(figures.networkDevices["lo"]?["recv_bytes"] != nil)
    }

    @Test func burnsCPUAndSeesIt() throws {
        var x: UInt64 = 1
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(150) { x = x &* 6364136223846793005 &+ 1 }
        #expect(x != 0)
        let figures = try ProcessFigures(procDirectory: "/proc/self")
        #expect(figures.stat["utime", default: 0] + figures.stat["stime", default: 0] > 0)
    }

    @Test func aMissingProcessIsAnError() {
        #expect(throws: (any Error).self) { try ProcessFigures(procDirectory: "/proc/999999999") }
    }

    @Test func statWithParenthesesInTheCommand() throws {
        let text = "4242 (qemu (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 17 5 -3 2 20 0 9 0 1234 1048576000 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"
        let stat = try #require(ProcessFigures.parseStat(text))
        #expect(stat.times == ["utime": 17, "stime": 5, "cutime": 0, "cstime": 2])
        #expect(stat.virtualBytes == 1_048_576_000)
        #expect(stat.residentPages == 2560)
        #expect(ProcessFigures.parseStat("4242 (short) S 1 2") == nil)
    }

    @Test func statusKeysBecomeKataItemsInBytes() {
        let text = "Name:\tqemu\nThreads:\t9\nVmRSS:\t  2048 kB\nRssAnon:\t 1024 kB\nVmPMD:\t 12 kB\nSigQ:\t0/3000\nvoluntary_ctxt_switches:\t15\nnonvoluntary_ctxt_switches:\t3\n"
        let status = ProcessFigures.parseStatus(text)
        #expect(status.threads == 9)
        #expect(status.items == ["vmrss": 2048 * 1024, "rssanon": 1024 * 1024, "vmpmd": 12 * 1024,
                                 "voluntary_ctxt_switches": 15, "nonvoluntary_ctxt_switches": 3])
    }

    @Test func ioAndNetDevUseKataNames() {
        let io = ProcessFigures.parseIO("rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 5\n")
        #expect(io == ["rchar": 10, "wchar": 20, "syscr": 1, "syscw": 2, "readbytes": 4096, "writebytes": 0, "cancelledwritebytes": 5])
        let netdev = ProcessFigures.parseNetDev("""
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:  1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
             tap0_kata: 5 1 2 3 4 6 7 8 9 10 11 12 13 14 15 16
            """)
        #expect(netdev["lo"]?["recv_bytes"] == 1000)
        #expect(netdev["tap0_kata"]?["recv_multicast"] == 8)
        #expect(netdev["tap0_kata"]?["sent_bytes"] == 9)
        #expect(netdev["tap0_kata"]?["sent_compressed"] == 16)
        #expect(netdev.count == 2)
    }

    @Test func rendersKataFamilies() throws {
        let figures = ProcessFigures(descriptors: 7, threads: 3, status: ["vmrss": 4096], stat: ["utime": 200, "stime": 100],
                                     io: ["rchar": 9], networkDevices: ["eth0": ["recv_bytes": 5]], residentBytes: 4096, virtualBytes: 8192)
        var text = PrometheusText()
        figures.append(to: &text, prefix: "kata_hypervisor", subject: "Hypervisor")
        let parsed = try Exposition(parsing: text.text)
        #expect(parsed.value("kata_hypervisor_fds") == 7)
        #expect(parsed.value("kata_hypervisor_threads") == 3)
        #expect(parsed.value("kata_hypervisor_proc_status", ["item": "vmrss"]) == 4096)
        #expect(parsed.value("kata_hypervisor_proc_stat", ["item": "utime"]) == 200)
        #expect(parsed.value("kata_hypervisor_io_stat", ["item": "rchar"]) == 9)
        #expect(parsed.value("kata_hypervisor_netdev", ["interface": "eth0", "item": "recv_bytes"]) == 5)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        #expect(parsed.value("kata_hypervisor_process_cpu_seconds_total") == 300 / ticks)
        #expect(parsed.value("kata_hypervisor_process_resident_memory_bytes") == 4096)
    }
}
