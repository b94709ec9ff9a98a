import RunbookCLI

RunbookCommand.runMain()
