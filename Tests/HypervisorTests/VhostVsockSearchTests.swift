import Glibc
import Testing
@testable import Hypervisor

/// The CID search over a simulated VHOST_VSOCK_SET_GUEST_CID: this host has no
/// /dev/vhost-vsock, so the kernel's answers (0 or EADDRINUSE) are played by a closure.
@Suite struct VhostVsockSearchTests {
    @Test func takesTheFirstFreeCIDUpwardsThenDownwards() throws {
        let used: Set<UInt32> = [100, 101, 102]
        #expect(try VhostVsock.findCID(start: 100) { used.contains($0) ? EADDRINUSE : 0 } == 103)
        // At the top of the range the search turns downwards.
        let top = UInt32.max - 1
        #expect(try VhostVsock.findCID(start: top) { $0 >= top - 1 ? EADDRINUSE : 0 } == top - 2)
        // Reserved CIDs are never tried.
        var tried: [UInt32] = []
        _ = try? VhostVsock.findCID(start: 0) { tried.append($0); return 0 }
        #expect(tried == [3])
    }

    @Test func otherErrorsStopTheSearch() {
        #expect(throws: VhostVsock.Failure.self) {
            try VhostVsock.findCID(start: 7) { _ in EPERM }
        }
        #expect(throws: VhostVsock.Failure.self) {
            try VhostVsock.findCID(start: 7, attempts: 10) { _ in EADDRINUSE }
        }
    }
}
