import Glibc

extension ProcessFigures {
    /// Appends Kata's families for one process: `<prefix>_fds`, `_threads`,
    /// `_proc_status{item}`, `_proc_stat{item}`, `_io_stat{item}`,
    /// `_netdev{interface,item}`, and the process collector's
    /// `_process_cpu_seconds_total`, `_process_resident_memory_bytes`,
    /// `_process_virtual_memory_bytes` and `_process_open_fds`.
    /// `subject` names the process in the help texts.
    public func append(to text: inout PrometheusText, prefix: String, subject: String) {
        text.add("\(prefix)_fds", help: "Open FDs for \(subject).", type: .gauge, value: UInt64(descriptors))
        text.add("\(prefix)_threads", help: "Threads of \(subject).", type: .gauge, value: threads)
        text.add("\(prefix)_proc_status", help: "\(subject) process status (see /proc/<pid>/status; sizes in bytes).",
                 type: .gauge, samples: Self.itemSamples(status))
        text.add("\(prefix)_proc_stat", help: "\(subject) process statistics (see /proc/<pid>/stat; clock ticks).",
                 type: .gauge, samples: Self.itemSamples(stat))
        text.add("\(prefix)_io_stat", help: "\(subject) process IO statistics (see /proc/<pid>/io).",
                 type: .gauge, samples: Self.itemSamples(io))
        let netdev = networkDevices.keys.sorted().flatMap { interface in
            networkDevices[interface, default: [:]].sorted { $0.key < $1.key }.map {
                PrometheusText.Sample($0.value, labels: [.init("interface", interface), .init("item", $0.key)])
            }
        }
        text.add("\(prefix)_netdev", help: "\(subject) network devices statistics (see /proc/<pid>/net/dev).",
                 type: .gauge, samples: netdev)
        let ticks = Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        let cpuSeconds = Double((stat["utime"] ?? 0) + (stat["stime"] ?? 0)) / ticks
        text.add("\(prefix)_process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.",
                 type: .counter, samples: [.init(cpuSeconds)])
        text.add("\(prefix)_process_open_fds", help: "Number of open file descriptors.", type: .gauge, value: UInt64(descriptors))
        text.add("\(prefix)_process_resident_memory_bytes", help: "Resident memory size in bytes.", type: .gauge, value: residentBytes)
        text.add("\(prefix)_process_virtual_memory_bytes", help: "Virtual memory size in bytes.", type: .gauge, value: virtualBytes)
    }

    private static func itemSamples(_ items: [String: UInt64]) -> [PrometheusText.Sample] {
        items.sorted { $0.key < $1.key }.map { PrometheusText.Sample($0.value, labels: [.init("item", $0.key)]) }
    }
}
