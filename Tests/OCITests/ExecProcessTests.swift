import OCI
import Protocols
import Testing

/// The process JSON of containerd's Exec, to the agent's `Grpc_Process`.
@Suite struct ExecProcessTests {
    @Test func everyField() throws {
        let process = try OCIProcess(json: Fixtures.bytes(Fixtures.exec)).agentProcess
        #expect(process.terminal)
        #expect(process.hasConsoleSize)
        #expect(process.consoleSize.height == 40 && process.consoleSize.width == 120)
        #expect(process.user.uid == 1000 && process.user.gid == 1000)
        #expect(process.user.additionalGids == [10, 20])
        #expect(process.user.username == "app")
        #expect(process.args == ["sh", "-c", "echo hi"])
        #expect(process.env == ["PATH=/usr/bin:/bin", "TERM=xterm"])
        #expect(process.cwd == "/home/app")
        for set in [process.capabilities.bounding, process.capabilities.effective, process.capabilities.inheritable,
                    process.capabilities.permitted, process.capabilities.ambient] {
            #expect(set == ["CAP_KILL"])
        }
        #expect(process.rlimits.map(\.type) == ["RLIMIT_NOFILE", "RLIMIT_CORE"])
        #expect(process.rlimits[0].hard == 1_048_576 && process.rlimits[0].soft == 1024)
        #expect(process.rlimits[1].hard == UInt64.max && process.rlimits[1].soft == UInt64.max)
        #expect(process.noNewPrivileges)
        #expect(process.apparmorProfile == "docker-default")
        #expect(process.oomscoreAdj == -998)
        #expect(process.selinuxLabel == "system_u:system_r:container_t:s0:c1,c2")
    }

    /// Go's decoder takes a missing field as zero; so does this one.
    @Test func minimalProcess() throws {
        let process = try OCIProcess(json: Fixtures.bytes(#"{"args": ["true"], "cwd": null}"#)).agentProcess
        #expect(process.args == ["true"])
        #expect(process.cwd.isEmpty)
        #expect(process.hasUser && process.user.uid == 0)
        #expect(!process.hasCapabilities && !process.hasConsoleSize && process.rlimits.isEmpty)
    }

    /// The agent's form back to JSON: what crun's `exec --process` reads.
    @Test func backToJSON() throws {
        var grpc = Grpc_Process()
        grpc.args = ["ls"]
        grpc.user.uid = 7
        let process = OCIProcess(grpc)
        #expect(process.cwd == "/")
        #expect(process.user == OCIProcess.User(uid: 7, gid: 0))
        #expect(process.terminal == nil && process.env == nil && process.capabilities == nil)
        let json = String(decoding: try process.json(), as: UTF8.self)
        #expect(json == #"{"args":["ls"],"cwd":"\/","user":{"gid":0,"uid":7}}"#)
    }
}
