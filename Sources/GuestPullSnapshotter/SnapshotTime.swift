import Glibc

/// A wall-clock instant as protobuf's Timestamp carries it.
public struct SnapshotTime: Codable, Sendable, Equatable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The system's real-time clock.
    public static func now() -> SnapshotTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return SnapshotTime(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    public static func < (lhs: SnapshotTime, rhs: SnapshotTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}
