import ArgumentParser
import Foundation

/// The `runbook` command line: one subcommand per file in this folder.
@available(macOS 10.15, *)
public struct RunbookCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "Executable, checked and reversible deployment runbooks.",
        discussion: """
            Runbooks are written in a strict subset of Ruby syntax (see docs/language.md). Inventories are Ansible's \
            (searched as -i, RUNBOOK_INVENTORY, ANSIBLE_INVENTORY, ansible.cfg, inventory/hosts.*); SSH settings are \
            ssh_config's.

            Exit status: 0 every host passed; 1 a host failed (rolled back or left) or the run stopped early; \
            2 usage, parse or validation error, or a host locked by another run (nothing ran); 3 an undo failed or a \
            second Ctrl-C left hosts in an unknown state; 4 the only failed hosts are unreachable; 130 interrupted \
            before anything changed.

            Environment: NO_COLOR (no colour unless --color always), RUNBOOK_INVENTORY, ANSIBLE_INVENTORY, \
            RUNBOOK_SECRET_<name> (secret parameters), RUNBOOK_KEY_PASSPHRASE, SSH_AUTH_SOCK, XDG_STATE_HOME (the \
            journal's folder).
            """,
        version: "runbook \(RunbookCommand.version)",
        subcommands: [
            ApplyCommand.self, PlanCommand.self, CheckCommand.self, GraphCommand.self, HostsCommand.self, ListCommand.self, UnlockCommand.self,
            HistoryCommand.self, ShowCommand.self, RollbackCommand.self, LeasesCommand.self, WatchCommand.self, WorkerCommand.self,
        ]
    )

    public init() {}

    /// The release this binary was built from.
    public static let version = "0.2.0"
}

extension RunbookCommand {
    /// Each connected host holds a socket and a wake-up pipe: lift the soft limit on open files (often
    /// 1024) to the hard one, as ssh multiplexers and Ansible's forks need too.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 1 << 20)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Parses the process arguments and runs the chosen subcommand on a task, while the main thread
    /// waits for signals (see `MainThread`); exits with the command's status from the main thread.
    public static func runMain() -> Never {
        MainThread.takeSignals()
        ProcessSetup.install()
        raiseDescriptorLimit()
        LogSink.bootstrap()
        let done = MainThread.Completion()
        Task.detached {
            done.finish(await runCommand())
        }
        MainThread.serve(until: done)
    }

    /// The chosen subcommand's exit status; its messages are printed here.
    static func runCommand() async -> Int32 {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            let code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            // The spec gives usage errors exit status 2 (argument-parser uses 64, EX_USAGE).
            if code == 64 {
                Output.error(message)
                return 2
            }
            if !message.isEmpty { code == 0 ? Output.print(message) : Output.error(message) }
            return code
        }
    }
}
