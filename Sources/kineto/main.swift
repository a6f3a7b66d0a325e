import KinetoCLI

ProcessSetup.run()

/// Inside an `async` function the compiler picks AsyncParsableCommand's `main()`; in top-level code it
/// picks ParsableCommand's synchronous one, which (in debug builds) refuses an async root command.
func runKineto() async { await KinetoCommand.main() }
await runKineto()
