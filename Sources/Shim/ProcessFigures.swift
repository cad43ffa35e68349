import Files
import Glibc

/// What `/proc/<pid>` says about one process, with the item names Kata's
/// metrics use (`vmrss`, `utime`, `readbytes`, `recv_bytes`, …).
public struct ProcessFigures: Sendable, Equatable {
    /// Open file descriptors (entries of `fd/`; 0 when it cannot be read).
    public var descriptors: Int
    public var threads: UInt64
    /// From `status`: sizes in bytes, context switches as counts.
    public var status: [String: UInt64]
    /// From `stat`: `utime`, `stime`, `cutime`, `cstime` in clock ticks.
    public var stat: [String: UInt64]
    /// From `io` (empty when the process is not ours to read).
    public var io: [String: UInt64]
    /// From `net/dev`: interface → item → value (empty when unreadable).
    public var networkDevices: [String: [String: UInt64]]
    /// Resident and virtual size from `stat`, in bytes.
    public var residentBytes: UInt64
    public var virtualBytes: UInt64

    /// Reads `procDirectory` (`/proc/self`, `/proc/<pid>`). `status` and `stat`
    /// must be readable; the rest is best effort.
    public init(procDirectory: String) throws {
        let statusText = try readTextFile(procDirectory + "/status")
        let statText = try readTextFile(procDirectory + "/stat")
        guard let stat = Self.parseStat(statText) else {
            throw UnreadableStat(path: procDirectory + "/stat", text: statText)
        }
        let status = Self.parseStatus(statusText)
        self.status = status.items
        self.threads = status.threads
        self.stat = stat.times
        self.residentBytes = stat.residentPages * UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1))
        self.virtualBytes = stat.virtualBytes
        self.descriptors = directoryEntries(procDirectory + "/fd").count
        self.io = (try? readTextFile(procDirectory + "/io")).map(Self.parseIO) ?? [:]
        self.networkDevices = (try? readTextFile(procDirectory + "/net/dev")).map(Self.parseNetDev) ?? [:]
    }

    public init(descriptors: Int, threads: UInt64, status: [String: UInt64], stat: [String: UInt64],
                io: [String: UInt64] = [:], networkDevices: [String: [String: UInt64]] = [:],
                residentBytes: UInt64 = 0, virtualBytes: UInt64 = 0) {
        self.descriptors = descriptors
        self.threads = threads
        self.status = status
        self.stat = stat
        self.io = io
        self.networkDevices = networkDevices
        self.residentBytes = residentBytes
        self.virtualBytes = virtualBytes
    }

    /// A `stat` file without the fields of proc(5).
    public struct UnreadableStat: Error, CustomStringConvertible {
        public var path: String
        public var text: String
        public var description: String { "\(path): not in the format of proc(5) (\(text.prefix(80)))" }
    }

    /// The `status` keys Kata reports, by their label (the key in lower case).
    static let statusKeys = [
        "VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData",
        "VmStk", "VmExe", "VmLib", "VmPTE", "VmPMD", "VmSwap", "HugetlbPages",
        "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches",
    ]

    /// `Key:\tvalue [kB]` lines; kB values become bytes.
    public static func parseStatus(_ text: String) -> (items: [String: UInt64], threads: UInt64) {
        var items: [String: UInt64] = [:]
        var threads: UInt64 = 0
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let words = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first, let number = UInt64(first) else { continue }
            if key == "Threads" { threads = number }
            guard statusKeys.contains(key) else { continue }
            items[key.lowercased()] = words.dropFirst().first == "kB" ? number * 1024 : number
        }
        return (items, threads)
    }

    /// The fields after `(comm)` (which may hold spaces and parentheses itself).
    public static func parseStat(_ text: String) -> (times: [String: UInt64], residentPages: UInt64, virtualBytes: UInt64)? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // Field 3 (state) is index 0 here: utime is field 14, vsize 23, rss 24.
        let fields = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count > 21 else { return nil }
        func number(_ field: Int) -> UInt64 {
            // cutime and cstime are signed in the kernel; never negative in practice.
            UInt64(fields[field - 3]) ?? Int64(fields[field - 3]).map { UInt64(max($0, 0)) } ?? 0
        }
        let times = ["utime": number(14), "stime": number(15), "cutime": number(16), "cstime": number(17)]
        return (times, number(24), number(23))
    }

    /// `key: value` lines; Kata's item names drop the underscores (`read_bytes` → `readbytes`).
    public static func parseIO(_ text: String) -> [String: UInt64] {
        var items: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let value = UInt64(parts[1].trimmingPrefix(" ")) else { continue }
            items[String(parts[0]).replacing("_", with: "")] = value
        }
        return items
    }

    /// The receive and transmit columns of `/proc/net/dev`, in its order.
    static let netDevItems = [
        "recv_bytes", "recv_packets", "recv_errs", "recv_drop", "recv_fifo", "recv_frame", "recv_compressed", "recv_multicast",
        "sent_bytes", "sent_packets", "sent_errs", "sent_drop", "sent_fifo", "sent_colls", "sent_carrier", "sent_compressed",
    ]

    /// Two header lines, then `iface: 16 numbers` per interface.
    public static func parseNetDev(_ text: String) -> [String: [String: UInt64]] {
        var devices: [String: [String: UInt64]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let values = parts[1].split(separator: " ").compactMap { UInt64($0) }
            guard values.count == netDevItems.count else { continue }
            let name = parts[0].trimmingPrefix(while: { $0 == " " })
            devices[String(name)] = Dictionary(uniqueKeysWithValues: zip(netDevItems, values))
        }
        return devices
    }
}
