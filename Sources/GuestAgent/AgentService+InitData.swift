import AgentPolicy

extension AgentService {
    /// Reads initdata (``AgentConfiguration/initDataDevice``, or the disk
    /// with serial `initdata`) and makes its `policy.rego` the policy, as
    /// Kata's agent does before it serves. Returns the document, or nil when
    /// there is no disk (the policy stays allow-all). Throws when a disk
    /// exists but cannot be read, or its policy cannot be parsed: serving
    /// with another policy than the measured one would defeat it.
    @discardableResult
    public func applyInitData() throws(InitDataReadError) -> (device: String, document: InitDataDocument)? {
        guard let device = configuration.initDataDevice ?? InitDataReader.findDevice() else { return nil }
        let document = try InitDataReader.read(path: device)
        if let policy = document.policy {
            do {
                // Parsed here first for the parser's own message; setPolicy's adds the RPC's name.
                _ = try AgentPolicy(rego: policy)
                try setPolicy(policy)
            } catch {
                throw InitDataReadError("initdata disk \(device): policy.rego cannot be used: \(error)")
            }
        }
        return (device, document)
    }
}
