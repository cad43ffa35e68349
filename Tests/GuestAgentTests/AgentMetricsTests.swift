import Agent
import Foundation
@testable import GuestAgent
import TestSupport
import Testing

/// GetMetrics: Kata's agent families, valid Prometheus text, from the real agent.
@Suite(.serialized, .timeLimit(.minutes(1))) struct AgentMetricsTests {
    @Test func theAgentAnswersValidPrometheusTextWithKataNames() async throws {
        try await HostAgent.with { agent in
            _ = try await agent.client.metrics()
            let text = try await agent.client.metrics()
            let samples = try Self.check(text)
            for sample in samples.keys {
                #expect(sample.hasPrefix("kata_agent_") || sample.hasPrefix("kata_guest_"), "\(sample)")
            }
            #expect(samples["kata_agent_scrape_count"] == 2)
            #expect(samples["kata_agent_total_rss"] ?? 0 > Double(1 << 20))
            #expect(samples["kata_agent_threads"] ?? 0 > 0)
            #expect(samples["kata_agent_proc_status{item=\"vmrss\"}"] ?? 0 > Double(1 << 20))
            #expect(samples["kata_agent_proc_stat{item=\"utime\"}"] != nil)
            #expect(samples["kata_agent_rpc_calls_total{method=\"GetMetrics\"}"] == 2)
            #expect(samples["kata_guest_load{item=\"load1\"}"] != nil)
            #expect(samples["kata_guest_tasks{item=\"max\"}"] ?? 0 > 0)
        }
    }

    @Test func procFilesOfThisProcess() throws {
        let status = AgentService.processStatus(try String(contentsOfFile: "/proc/self/status", encoding: .utf8))
        #expect(status.threads > 0)
        #expect(status.items.first { $0.item == "vmrss" }?.bytes ?? 0 > 1 << 20)
        #expect(status.items.map(\.item) == status.items.map(\.item).sorted())
        let stat = AgentService.processStat(try String(contentsOfFile: "/proc/self/stat", encoding: .utf8))
        #expect(stat.map(\.item) == ["cstime", "cutime", "stime", "utime"])
        #expect(AgentService.processStat("1 (a) S 1 2") .isEmpty)
    }

    @Test func loadAverage() {
        let parsed = AgentService.loadAverage("0.10 0.20 0.30 2/151 4242\n")
        #expect(parsed.load.map { "\($0.0)=\($0.1)" } == ["load1=0.10", "load15=0.30", "load5=0.20"])
        #expect(parsed.tasks.map { "\($0.0)=\($0.1)" } == ["cur=2", "max=151"])
        #expect(AgentService.loadAverage("garbage").load.isEmpty)
    }

    /// Every family has HELP and TYPE before its samples, every sample line is
    /// `name{labels} value` with a valid name; returns `series → value`.
    static func check(_ text: String) throws -> [String: Double] {
        struct Malformed: Error, CustomStringConvertible { var description: String }
        guard text.hasSuffix("\n") else { throw Malformed(description: "no final line feed") }
        var declared: [String: Set<String>] = [:]
        var values: [String: Double] = [:]
        let name = /[a-zA-Z_:][a-zA-Z0-9_:]*/
        let label = /[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"/
        for line in text.split(separator: "\n") {
            if let match = line.wholeMatch(of: /# (HELP|TYPE) ([^ ]+) (.*)/) {
                guard (try? name.wholeMatch(in: match.output.2)) != nil else { throw Malformed(description: "bad name: \(line)") }
                declared[String(match.output.2), default: []].insert(String(match.output.1))
                continue
            }
            guard let match = line.wholeMatch(of: /([^{ ]+)(\{[^}]*\})? ([^ ]+)/) else { throw Malformed(description: "not a sample: \(line)") }
            guard (try? name.wholeMatch(in: match.output.1)) != nil else { throw Malformed(description: "bad name: \(line)") }
            if let labels = match.output.2 {
                let inner = labels.dropFirst().dropLast()
                for part in inner.split(separator: ",") where (try? label.wholeMatch(in: part)) == nil {
                    throw Malformed(description: "bad label \(part): \(line)")
                }
            }
            guard declared[String(match.output.1)] == ["HELP", "TYPE"] else { throw Malformed(description: "no HELP and TYPE before: \(line)") }
            guard let value = Double(match.output.3) else { throw Malformed(description: "not a number: \(line)") }
            values[String(match.output.1) + String(match.output.2 ?? "")] = value
        }
        return values
    }
}
