import KataConfig

/// The one block an installation adds to containerd's config.toml: the
/// runtime handler tables between two marker comments, appended at the end
/// of the file, so that everything before it stays byte for byte and
/// uninstall can take exactly it away again.
public struct ContainerdRuntimeBlock: Sendable, Equatable {
    public static let beginMarker = "# >>> kata-runtime install: Kata runtime handlers (kata-runtime uninstall removes this block) >>>"
    public static let endMarker = "# <<< kata-runtime install <<<"

    public var version: ContainerdConfigVersion
    public var handlers: [RuntimeHandler]
    public var layout: KataLayout
    /// Whether the block also carries `version = 2`: for a file that had no
    /// keys at all (missing, empty, comments only), which containerd would
    /// otherwise read as its version 1 schema.
    public var declaresVersion: Bool

    public init(version: ContainerdConfigVersion, handlers: [RuntimeHandler], layout: KataLayout, declaresVersion: Bool = false) {
        self.version = version
        self.handlers = handlers
        self.layout = layout
        self.declaresVersion = declaresVersion
    }

    /// The tables for one handler, in the shape kata-deploy writes.
    public func tables(for handler: RuntimeHandler) -> String {
        let header = "\(version.runtimesTable).\(handler.name)"
        return """
            [\(header)]
              runtime_type = \(quotedBasicString(handler.runtimeType))
              runtime_path = \(quotedBasicString(layout.shimPath))
              privileged_without_host_devices = true
              pod_annotations = ["io.katacontainers.*"]
              [\(header).options]
                ConfigPath = \(quotedBasicString(layout.configurationPath(for: handler)))

            """
    }

    /// The block's text, markers included, ending in a newline.
    public var text: String {
        var text = Self.beginMarker + "\n"
        if declaresVersion { text += "version = \(version.rawValue)\n\n" }
        text += handlers.map { tables(for: $0) }.joined(separator: "\n")
        return text + Self.endMarker + "\n"
    }

    /// `base` with the block appended: after one newline when `base` does
    /// not end in one, after a blank line when it does; `removed(from:)`
    /// undoes exactly that.
    public func appended(to base: String) -> String {
        base.isEmpty ? text : base + "\n" + text
    }

    /// `contents` without a block of ours (the text before the begin marker,
    /// less the newline `appended` added, followed by whatever came after the
    /// end marker), or nil when there is none.
    public static func removed(from contents: String) -> String? {
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false)
        guard let begin = lines.firstIndex(where: { $0 == beginMarker }) else { return nil }
        guard let end = lines[begin...].firstIndex(where: { $0 == endMarker }) else { return nil }
        var before = lines[..<begin].joined(separator: "\n")
        if begin > 0 { before += "\n" }   // the newline that ended the line before the marker
        if before.hasSuffix("\n") { before.removeLast() }
        let after = lines[(end + 1)...].joined(separator: "\n")
        return before + after
    }

    /// Whether `contents` has a begin marker without its end marker (an
    /// edited block that neither install nor uninstall can delimit).
    static func hasUnterminatedBlock(_ contents: String) -> Bool {
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false)
        guard let begin = lines.firstIndex(where: { $0 == beginMarker }) else { return false }
        return !lines[begin...].contains(where: { $0 == endMarker })
    }
}
