/// `[factory]`: Kata's VM templating and VM cache. This runtime reads and
/// checks the keys so that Kata's files load unchanged, but does not create
/// VMs from templates.
public struct FactoryConfiguration: Sendable, Equatable {
    /// `enable_template`
    public var enableTemplate = false
    /// `template_path`
    public var templatePath = "/run/vc/vm/template"
    /// `vm_cache_number`
    public var vmCacheNumber: UInt32 = 0
    /// `vm_cache_endpoint`
    public var vmCacheEndpoint = "/var/run/kata-containers/cache.sock"

    public init() {}
}
