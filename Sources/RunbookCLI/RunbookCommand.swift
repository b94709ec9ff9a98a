import ArgumentParser
import Foundation

/// The `runbook` command line: one subcommand per file in this folder.
@available(macOS 10.15, *)
public struct RunbookCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "Executable, checked and reversible deployment runbooks.",
        discussion: "Runbooks are written in a strict subset of Ruby syntax (see docs/language.md).",
        subcommands: [
            ApplyCommand.self, PlanCommand.self, CheckCommand.self, GraphCommand.self, HostsCommand.self, ListCommand.self, UnlockCommand.self,
            HistoryCommand.self, ShowCommand.self, RollbackCommand.self,
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
            // The spec gives usage errors exit status 2 (argument-parser uses 64, EX_USAGE).
            if exitCode(for: error).rawValue == 64 {
                Output.error(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
