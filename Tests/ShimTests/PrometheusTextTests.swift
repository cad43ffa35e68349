import Shim
import Testing

@Suite struct PrometheusTextTests {
    @Test func familiesHaveHelpAndTypeBeforeTheirSamples() throws {
        var text = PrometheusText()
        text.add("kata_shim_fds", help: "Open FDs.", type: .gauge, value: 12)
        text.add("kata_shim_proc_status", help: "Status.", type: .gauge, samples: [
            .init(UInt64(4096), labels: [.init("item", "vmrss")]),
            .init(UInt64(7), labels: [.init("item", "voluntary_ctxt_switches")]),
        ])
        text.add("kata_shim_process_cpu_seconds_total", help: "CPU.", type: .counter, samples: [.init(1.25)])
        #expect(text.text == """
            # HELP kata_shim_fds Open FDs.
            # TYPE kata_shim_fds gauge
            kata_shim_fds 12
            # HELP kata_shim_proc_status Status.
            # TYPE kata_shim_proc_status gauge
            kata_shim_proc_status{item="vmrss"} 4096
            kata_shim_proc_status{item="voluntary_ctxt_switches"} 7
            # HELP kata_shim_process_cpu_seconds_total CPU.
            # TYPE kata_shim_process_cpu_seconds_total counter
            kata_shim_process_cpu_seconds_total 1.25

            """)
        let parsed = try Exposition(parsing: text.text)
        #expect(parsed.value("kata_shim_proc_status", ["item": "vmrss"]) == 4096)
        #expect(parsed.types["kata_shim_process_cpu_seconds_total"] == "counter")
    }

    @Test func labelValuesAndHelpAreEscaped() throws {
        let awkward = "C:\\dir \"quoted\"\nsecond line"
        var text = PrometheusText()
        text.add("kata_hypervisor_netdev", help: "Back\\slash and\nnewline.", type: .gauge, samples: [
            .init(UInt64(1), labels: [.init("interface", awkward), .init("item", "recv_bytes")]),
        ])
        #expect(text.text.contains(#"{interface="C:\\dir \"quoted\"\nsecond line",item="recv_bytes"} 1"#))
        #expect(text.text.contains(#"# HELP kata_hypervisor_netdev Back\\slash and\nnewline."#))
        let parsed = try Exposition(parsing: text.text)
        #expect(parsed.value("kata_hypervisor_netdev", ["interface": awkward, "item": "recv_bytes"]) == 1)
    }

    @Test func aFamilyWithoutSamplesWritesNothing() {
        var text = PrometheusText()
        text.add("kata_shim_io_stat", help: "IO.", type: .gauge, samples: [])
        #expect(text.text.isEmpty)
    }

    @Test func valuesAreSpelledAsTheFormatWants() {
        #expect(PrometheusText.Sample(3.0).value == "3")
        #expect(PrometheusText.Sample(0.5).value == "0.5")
        #expect(PrometheusText.Sample(Double.nan).value == "NaN")
        #expect(PrometheusText.Sample(Double.infinity).value == "+Inf")
        #expect(PrometheusText.Sample(-Double.infinity).value == "-Inf")
        #expect(PrometheusText.Sample(Int64(-4)).value == "-4")
        #expect(PrometheusText.Sample(UInt64.max).value == "18446744073709551615")
    }

    @Test func namesFollowTheFormat() {
        #expect(PrometheusText.isValidMetricName("kata_shim:fds_1"))
        #expect(!PrometheusText.isValidMetricName("1kata"))
        #expect(!PrometheusText.isValidMetricName("kata-shim"))
        #expect(!PrometheusText.isValidMetricName(""))
        #expect(PrometheusText.isValidLabelName("item"))
        #expect(!PrometheusText.isValidLabelName("it:em"))
    }

    /// The checker itself must refuse what Prometheus refuses.
    @Test(arguments: [
        "kata_x 1\n",                                                    // no HELP/TYPE
        "# HELP kata_x x\n# TYPE kata_x gauge\nkata_x{item=\"a} 1\n",     // unterminated label
        "# HELP kata_x x\n# TYPE kata_x gauge\nkata-x 1\n",              // bad name
        "# HELP kata_x x\n# TYPE kata_x gauge\nkata_x one\n",            // not a number
        "# HELP kata_x x\n# TYPE kata_x gauge\nkata_x 1\nkata_x 2\n",    // series twice
        "# HELP kata_x x\n# TYPE kata_x gauge\nkata_x 1",                // no final line feed
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{i=\"2\"} 2\n", // family split
    ])
    func theCheckerRefusesMalformedText(_ text: String) {
        #expect(throws: Exposition.Malformed.self) { try Exposition(parsing: text) }
    }
}
