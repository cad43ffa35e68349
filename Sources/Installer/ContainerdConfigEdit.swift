/// The change an installation makes to containerd's config.toml, worked out
/// in full (and the result parsed) before anything is written.
public struct ContainerdConfigEdit: Sendable, Equatable {
    /// The file's contents before (nil: it does not exist).
    public var original: String?
    /// Its contents after.
    public var result: String
    /// The block in `result`.
    public var block: ContainerdRuntimeBlock

    /// Whether writing `result` changes the file.
    public var changesFile: Bool { original != result }

    /// Adds (or replaces) our block for `handlers` in `original`. Refuses a
    /// version 1 file, a file that defines one of these handlers outside our
    /// block, and any result that does not parse, naming the file and the fix.
    public static func install(
        original: String?, path: String, handlers: [RuntimeHandler], layout: KataLayout
    ) throws(InstallerError) -> ContainerdConfigEdit {
        let current = original ?? ""
        if ContainerdRuntimeBlock.hasUnterminatedBlock(current) {
            throw InstallerError("\(path): has the line \"\(ContainerdRuntimeBlock.beginMarker)\" but not the end marker \"\(ContainerdRuntimeBlock.endMarker)\" after it; remove that partial block by hand (or restore \(ContainerdBackup.path(for: path))) and run kata-runtime install again")
        }
        let base = ContainerdRuntimeBlock.removed(from: current) ?? current
        let document = try ContainerdConfigDocument(path: path, text: base)
        let block: ContainerdRuntimeBlock
        if document.isEmpty {
            block = ContainerdRuntimeBlock(version: .v2, handlers: handlers, layout: layout, declaresVersion: true)
        } else {
            let version = try document.version()
            for handler in handlers where document.definesHandler(handler, version: version) {
                throw InstallerError("""
                    \(path): already defines [\(version.runtimesTable).\(handler.name)] outside kata-runtime's block; \
                    remove that table (and its .options) from the file, or leave the handler out with --handlers; then run kata-runtime install again
                    """)
            }
            block = ContainerdRuntimeBlock(version: version, handlers: handlers, layout: layout)
        }
        let result = block.appended(to: base)
        do {
            _ = try ContainerdConfigDocument(path: path, text: result, role: " with the Kata runtime handlers added")
        } catch {
            throw InstallerError("\(error.description); nothing was written. Fix the file so that the tables [\(block.version.runtimesTable).<handler>] can be added after its last line (e.g. no inline table for plugins or runtimes), then run kata-runtime install again")
        }
        return ContainerdConfigEdit(original: original, result: result, block: block)
    }
}
