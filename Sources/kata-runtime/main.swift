import KataRuntimeCommands

await KataRuntimeCommand.main()
