import Agent

/// One guest process's stdio through the agent's stream RPCs.
struct AgentProcessStreams: ProcessStreams {
    let agent: AgentClient
    let containerID: String
    let execID: String

    func readStdout(max: Int) async throws -> [UInt8]? {
        try await agent.readStdout(container: containerID, exec: execID, max: max)
    }

    func readStderr(max: Int) async throws -> [UInt8]? {
        try await agent.readStderr(container: containerID, exec: execID, max: max)
    }

    func writeStdin(_ bytes: [UInt8]) async throws {
        try await agent.writeStdin(container: containerID, exec: execID, bytes)
    }

    func closeStdin() async throws {
        try await agent.closeStdin(container: containerID, exec: execID)
    }
}
