import KataRuntimeCommands
import Testing

@Suite struct KataRuntimeCommandTests {
    @Test func hasSubcommands() { #expect(KataRuntimeCommand.configuration.subcommands.count == 5) }
}
