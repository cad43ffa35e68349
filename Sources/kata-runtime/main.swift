import KataRuntimeCommands

KataRuntimeCommand.main()
