import Protocols

extension OCIProcess {
    /// The process from the agent protocol's form: user, args and cwd always
    /// (crun wants them), other empty values left out.
    public init(_ p: Grpc_Process) {
        self.init(
            terminal: p.terminal ? true : nil,
            consoleSize: p.hasConsoleSize && p.consoleSize.height > 0
                ? ConsoleSize(height: p.consoleSize.height, width: p.consoleSize.width) : nil,
            user: User(uid: p.user.uid, gid: p.user.gid, additionalGids: p.user.additionalGids.nonEmpty, username: p.user.username.nonEmpty),
            args: p.args,
            env: p.env.nonEmpty,
            cwd: p.cwd.isEmpty ? "/" : p.cwd,
            capabilities: p.hasCapabilities
                ? Capabilities(bounding: p.capabilities.bounding, effective: p.capabilities.effective,
                               inheritable: p.capabilities.inheritable, permitted: p.capabilities.permitted,
                               ambient: p.capabilities.ambient)
                : nil,
            rlimits: p.rlimits.nonEmpty?.map { Rlimit(type: $0.type, hard: $0.hard, soft: $0.soft) },
            noNewPrivileges: p.noNewPrivileges ? true : nil,
            apparmorProfile: p.apparmorProfile.nonEmpty,
            oomScoreAdj: p.oomscoreAdj.nonZero,
            selinuxLabel: p.selinuxLabel.nonEmpty)
    }

    /// The agent protocol's form, for CreateContainer and ExecProcess. The
    /// user is always set, as Go's shim sends it (uid 0 when absent); `umask`
    /// has no field.
    public var agentProcess: Grpc_Process {
        var p = Grpc_Process()
        p.terminal = terminal ?? false
        if let consoleSize {
            p.consoleSize.height = consoleSize.height ?? 0
            p.consoleSize.width = consoleSize.width ?? 0
        }
        p.user.uid = user?.uid ?? 0
        p.user.gid = user?.gid ?? 0
        p.user.additionalGids = user?.additionalGids ?? []
        p.user.username = user?.username ?? ""
        p.args = args ?? []
        p.env = env ?? []
        p.cwd = cwd ?? ""
        if let capabilities {
            p.capabilities.bounding = capabilities.bounding ?? []
            p.capabilities.effective = capabilities.effective ?? []
            p.capabilities.inheritable = capabilities.inheritable ?? []
            p.capabilities.permitted = capabilities.permitted ?? []
            p.capabilities.ambient = capabilities.ambient ?? []
        }
        p.rlimits = (rlimits ?? []).map { limit in
            Grpc_POSIXRlimit.with {
                $0.type = limit.type ?? ""
                $0.hard = limit.hard ?? 0
                $0.soft = limit.soft ?? 0
            }
        }
        p.noNewPrivileges = noNewPrivileges ?? false
        p.apparmorProfile = apparmorProfile ?? ""
        p.oomscoreAdj = oomScoreAdj ?? 0
        p.selinuxLabel = selinuxLabel ?? ""
        return p
    }
}
