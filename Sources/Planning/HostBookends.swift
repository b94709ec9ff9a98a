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
        return HostCommand(body, limit: 30)
    }

    /// Prefix of the line the finish command prints for each cleanup that failed (then its index).
    public static let cleanupFailedPrefix = "cleanup-failed "

    /// Removes what the run moved aside (every cleanup is harmless when its action never ran), then
    /// releases the lock.
    public static func finish(lock: LockPlan?, cleanup: [ShellCommand]) -> HostCommand? {
        var parts = cleanup.enumerated().map { index, command in
            "( " + command + " ) || echo " + cleanupFailedPrefix + String(index)
        }
        if let lock { parts.append(lock.release) }
        guard !parts.isEmpty else { return nil }
        return HostCommand(parts.dropFirst().reduce(parts[0]) { $0 + "\n" + $1 }, limit: 300)
    }

    /// Releases the lock alone (after a failure, or when nothing was moved aside).
    public static func release(lock: LockPlan?) -> HostCommand? {
        lock.map { HostCommand($0.release, limit: 30) }
    }
}
