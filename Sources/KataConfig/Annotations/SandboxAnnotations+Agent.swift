extension SandboxAnnotations {
    /// Applies one `io.katacontainers.config.agent.<name>` annotation; false when unknown.
    static func applyAgent(_ name: String, _ value: AnnotationValue, to sandbox: inout SandboxConfiguration)
        throws(AnnotationError) -> Bool
    {
        switch name {
        case "policy":
            let bytes: [UInt8]
            do {
                bytes = try Base64.decode(value.text)
            } catch {
                throw value.failure("is not standard base64: encode the Rego file with `base64 -w0`")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw value.failure("decodes to bytes that are not UTF-8 text: the policy must be a Rego document")
            }
            sandbox.agentPolicy = text
        case "container_pipe_size":
            sandbox.configuration.agent.containerPipeSize = UInt32(try value.unsigned("bytes", max: UInt64(UInt32.max)))
        case "kernel_modules":
            // `;` between modules, each `name [parameters...]`, as Kata reads it.
            sandbox.configuration.agent.kernelModules = value.text.split(separator: ";")
                .map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
        case "enable_tracing":
            sandbox.configuration.agent.enableTracing = try value.bool()
        default:
            return false
        }
        return true
    }
}
