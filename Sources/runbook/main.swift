import RunbookCLI

await RunbookCommand.runMain()
