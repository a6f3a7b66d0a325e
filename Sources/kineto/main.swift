import KinetoCLI

ProcessSetup.run()

await KinetoCommand.main()
