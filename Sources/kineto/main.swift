import KinetoCLI

await KinetoCommand.main()
