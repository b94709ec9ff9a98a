import ArgumentParser

/// The `runbook` command line: one subcommand per file in this folder.
@available(macOS 10.15, *)
public struct RunbookCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "Executable, checked and reversible deployment runbooks.",
        discussion: "Runbooks are written in a strict subset of Ruby syntax (see docs/language.md).",
        subcommands: [
            ApplyCommand.self, PlanCommand.self, CheckCommand.self, GraphCommand.self, HostsCommand.self, ListCommand.self,
        ]
    )

    public init() {}
}

extension RunbookCommand {
    /// Parses the process arguments and runs the chosen subcommand, exiting with its status.
    public static func runMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
