import CLinux
import Glibc

/// A guest context id claimed on /dev/vhost-vsock. The descriptor goes to QEMU
/// as `vhostfd=` (QEMU never opens the device itself); closing it releases the CID.
public struct VhostVsockContext: Sendable {
    public let descriptor: Int32
    public let cid: UInt32
}

public enum VhostVsock {
    public static let devicePath = "/dev/vhost-vsock"
    /// CIDs 0-2 are reserved (hypervisor, local, host); u32 max is VMADDR_CID_ANY.
    public static let validCIDs: ClosedRange<UInt32> = 3...(UInt32.max - 1)

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Opens the device and claims a random free CID, as Kata does: start at a
    /// random CID and search upwards, then downwards, while CIDs are in use.
    public static func claim(devicePath: String = devicePath, start: UInt32 = UInt32.random(in: validCIDs)) throws -> VhostVsockContext {
        let fd = open(devicePath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw Failure(description: "\(devicePath): \(reason): load the vhost_vsock module, or set agent_channel = \"virtio-serial\" in [hypervisor.qemu]")
        }
        do {
            let cid = try findCID(start: start) { cid in
                cs_vhost_vsock_set_guest_cid(fd, UInt64(cid)) == 0 ? 0 : errno
            }
            return VhostVsockContext(descriptor: fd, cid: cid)
        } catch {
            close(fd)
            throw error
        }
    }

    /// The search itself, over a `claim` that returns 0 or an errno; only
    /// EADDRINUSE moves on to the next CID.
    static func findCID(start: UInt32, attempts: Int = 4096, claim: (UInt32) -> Int32) throws -> UInt32 {
        let start = min(max(start, validCIDs.lowerBound), validCIDs.upperBound)
        var tried = 0
        var cid = start
        while tried < attempts {
            let rc = claim(cid)
            if rc == 0 { return cid }
            guard rc == EADDRINUSE else {
                throw Failure(description: "VHOST_VSOCK_SET_GUEST_CID \(cid): \(String(cString: strerror(rc)))")
            }
            tried += 1
            if cid == validCIDs.upperBound { break }
            cid += 1
        }
        cid = start
        while tried < attempts && cid > validCIDs.lowerBound {
            cid -= 1
            let rc = claim(cid)
            if rc == 0 { return cid }
            guard rc == EADDRINUSE else {
                throw Failure(description: "VHOST_VSOCK_SET_GUEST_CID \(cid): \(String(cString: strerror(rc)))")
            }
            tried += 1
        }
        throw Failure(description: "no free vsock CID after \(tried) attempts around \(start)")
    }
}
