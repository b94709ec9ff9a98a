import Wire

/// The first and last commands of a host's run, planned like every other: the lock rides on them,
/// so locking costs one exec at the start and nothing at the end when there is cleanup to do.
public enum HostBookends {
    /// Prefix of the lines the start command prints for each requirement the host lacks.
    public static let missingPrefix = "missing "

    /// Takes the lock (when there is one) and reports the requirements the host lacks.
    public static func start(lock: LockPlan?, requirements: Set<Requirement>) -> HostCommand? {
        let facts = requirements.sorted().map { "\($0.test) || echo \(ShellQuote.quote(missingPrefix + $0.rawValue))" }
        guard lock != nil || !facts.isEmpty else { return nil }
        var body = ShellCommand(facts.joined(separator: "\n"))
        if let lock { body = lock.acquire + (facts.isEmpty ? "" : "\n") + body }
        var command = HostCommand(body, limit: 30)
        command.limitedByController = true
        return command
    }

    /// Prefix of the line the finish command prints for each cleanup that failed (then its index).
    public static let cleanupFailedPrefix = "cleanup-failed "

    /// After a pass: keeps what the run moved aside (its cleanup script is written to the host's
    /// kept folder, see `KeptBackups`) and prunes the backups of older runs, or, with a count of 0
    /// (or when the script cannot be written), removes them at once (every cleanup is harmless when
    /// its action never ran); then releases the lock.
    public static func finish(lock: LockPlan?, cleanup: [ShellCommand], kept: KeptBackups? = nil) -> HostCommand? {
        let remove = cleanup.enumerated().map { index, command in
            "( " + command + " ) || echo " + cleanupFailedPrefix + String(index)
        }
        var parts: [ShellCommand] = remove
        if let kept, !cleanup.isEmpty {
            if kept.count > 0 {
                let fallback = remove.reduce(ShellCommand("echo " + KeptBackups.keepFailed)) { $0 + "; " + $1 }
                parts = [kept.keep(cleanup) + " || { " + fallback + "; }"]
            }
            parts.append(kept.prune)
        }
        if let lock { parts.append(lock.release) }
        guard !parts.isEmpty else { return nil }
        return HostCommand(parts.dropFirst().reduce(parts[0]) { $0 + "\n" + $1 }, limit: 300)
    }

    /// Releases the lock alone (after a failure, or when nothing was moved aside).
    public static func release(lock: LockPlan?) -> HostCommand? {
        lock.map {
            var command = HostCommand($0.release, limit: 30)
            command.limitedByController = true
            return command
        }
    }

    /// The host's steps with the lock's release riding on the last command, when nothing can follow
    /// that command on a host that passes: it is the last operation of the step every other step
    /// leads to, no verification comes after it and nothing is cleaned up. It runs as the connecting
    /// user (a release under sudo would not own the lock). The release runs only when the command
    /// succeeded (a failed host still rolls back under its lock); the command's status is kept.
    /// Nil when it cannot ride: the finish command releases the lock then.
    public static func ride(_ lock: LockPlan, on steps: [PlannedStep]) -> [PlannedStep]? {
        guard let last = steps.last, let action = last.actions.last, case .command(let command)? = action.operations.last, !command.sudo else {
            return nil
        }
        let after = Dictionary(steps.map { ($0.name, $0.after) }, uniquingKeysWith: { first, _ in first })
        var reached: Set<String> = [last.name]
        var queue = [last.name]
        while let name = queue.popLast() {
            for previous in after[name] ?? [] where reached.insert(previous).inserted { queue.append(previous) }
        }
        guard reached.isSuperset(of: steps.map(\.name)) else { return nil }
        var ridden = command
        ridden.onSuccess = lock.release + " || echo " + ShellQuote.quote(releaseFailed) + " >&2"
        var steps = steps
        var lastAction = action
        lastAction.operations[lastAction.operations.count - 1] = .command(ridden)
        steps[steps.count - 1].actions[last.actions.count - 1] = lastAction
        return steps
    }

    /// What the host's last command prints when the release that rides on it failed.
    public static let releaseFailed = "runbook: could not release the host lock"
}
