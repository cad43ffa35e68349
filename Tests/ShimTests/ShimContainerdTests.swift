import Foundation
import Shim
import TestSupport
import Testing

/// containerd-shim-kata-v2 driven by a real containerd 1.6.20 through `ctr`,
/// each container in its own TCG VM. Serialized: one VM at a time.
@Suite(.serialized) struct ShimContainerdTests {
    @Test func runPrintsTheGuestKernelAndExitCodes() async throws {
        try await KataTestbed.with { testbed in
            let guest = try KataTestbed.guestKernelRelease()
            let uname = try await testbed.ctrRun("t1", ["uname", "-r"])
            #expect(uname.succeeded, "\(uname.output)")
            #expect(uname.output.trimmingCharacters(in: .whitespacesAndNewlines) == guest)
            let host = try output(of: ["uname", "-r"]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(guest != host, "the guest kernel must differ from the host's to prove anything")
            let exit3 = try await testbed.ctrRun("t2", ["sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(exit3.status == 3, "\(exit3.output)")
            #expect(exit3.output.contains("out") && exit3.output.contains("err"))
            try await testbed.expectNothingLeft(of: ["t1", "t2"])
        }
    }
}
