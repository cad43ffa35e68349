extension SandboxAnnotations {
    /// Applies one `io.katacontainers.config.runtime.*` annotation (or
    /// `io.katacontainers.enable_vcpus_pinning`); false when unknown.
    static func applyRuntime(_ key: String, _ value: AnnotationValue, to sandbox: inout SandboxConfiguration)
        throws(AnnotationError) -> Bool
    {
        if key == vcpuPinning {
            sandbox.configuration.runtime.enableVCPUsPinning = try value.bool()
            return true
        }
        var r = sandbox.configuration.runtime
        defer { sandbox.configuration.runtime = r }
        switch String(key.dropFirst(runtimePrefix.count)) {
        case "create_container_timeout":
            let seconds = try value.unsigned("seconds")
            guard seconds > 0 else {
                throw value.failure("0 seconds would fail every container creation: give the seconds CreateContainer may take, image pull included")
            }
            r.createContainerTimeoutSeconds = seconds
        case "experimental":
            let features = value.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            for feature in features where !RuntimeConfiguration.experimentalFeatures.contains(feature) {
                throw value.failure(
                    "unknown experimental feature \(TOMLNode.quoted(feature)): this runtime knows "
                        + RuntimeConfiguration.experimentalFeatures.map { TOMLNode.quoted($0) }.joined(separator: ", "))
            }
            r.experimental = features
        case "experimental_force_guest_pull": r.experimentalForceGuestPull = try value.bool()
        case "disable_guest_seccomp": r.disableGuestSeccomp = try value.bool()
        case "sandbox_cgroup_only": r.sandboxCgroupOnly = try value.bool()
        case "disable_new_netns": r.disableNewNetns = try value.bool()
        case "enable_pprof": r.enablePprof = try value.bool()
        case "internetworking_model": r.internetworkingModel = try value.choice(RuntimeConfiguration.internetworkingModels)
        case "vfio_mode": r.vfioMode = try value.choice(RuntimeConfiguration.vfioModes)
        case "guest_selinux_label": r.guestSELinuxLabel = value.text
        default:
            return false
        }
        return true
    }
}
