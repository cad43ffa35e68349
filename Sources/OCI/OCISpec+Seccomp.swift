extension OCISpec {
    /// `linux.seccomp`: the system call filter.
    public struct Seccomp: Codable, Sendable, Equatable {
        public var defaultAction: String?
        public var architectures: [String]?
        public var flags: [String]?
        public var syscalls: [Syscall]?

        public init(
            defaultAction: String? = nil, architectures: [String]? = nil, flags: [String]? = nil, syscalls: [Syscall]? = nil
        ) {
            self.defaultAction = defaultAction
            self.architectures = architectures
            self.flags = flags
            self.syscalls = syscalls
        }
    }

    /// One rule of `linux.seccomp.syscalls`.
    public struct Syscall: Codable, Sendable, Equatable {
        public var names: [String]?
        public var action: String?
        public var errnoRet: UInt32?
        public var args: [SeccompArg]?

        public init(names: [String]? = nil, action: String? = nil, errnoRet: UInt32? = nil, args: [SeccompArg]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }
    }

    /// A condition on one argument of a system call.
    public struct SeccompArg: Codable, Sendable, Equatable {
        public var index: UInt64?
        public var value: UInt64?
        public var valueTwo: UInt64?
        public var op: String?

        public init(index: UInt64? = nil, value: UInt64? = nil, valueTwo: UInt64? = nil, op: String? = nil) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}
