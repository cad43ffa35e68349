import Shim

ShimMain.main(CommandLine.arguments)
