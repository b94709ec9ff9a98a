/// A command as the plan holds it: the body, its fixed time limit, sudo, the secrets it reads (by
/// name) and what it needs on the host. `message(secrets:)` is the one rendering to the bytes sent.
public struct HostCommand: Sendable, Hashable, Codable {
    /// The sh script run on the host.
    public var body: ShellCommand
    /// The limit in seconds, fixed when the plan is made (`HostCommand.unlimited` when none).
    public var limit: Double
    /// Runs the starter, and so the body, inside `sudo -n`.
    public var sudo: Bool
    /// What the body needs beyond POSIX sh, `timeout` and `setsid`.
    public var requirements: [Requirement]
    /// Values only known during the run (a pid a probe read, where a log stood), exported like
    /// secrets from standard input under these names; the plan shows `<NAME>` in their place.
    public var inputs: [String] = []
    /// Run by the starter itself once the body exited 0 (the host lock's release riding on a host's
    /// last command); its own status is ignored: the command's is the body's.
    public var onSuccess: ShellCommand?
    /// True when the controller alone enforces the limit: it closes the channel at the limit and the
    /// starter then kills the command, with no `timeout` process on the host. For runbook's own short
    /// commands (the lock's), run on every host of every run: one process fewer each.
    public var limitedByController: Bool?

    /// The limit of a command with none: 24 days (BusyBox `timeout 0` kills at once, so 0 cannot mean "none").
    public static let unlimited: Double = 2_147_483

    public init(_ body: ShellCommand, limit: Double? = nil, sudo: Bool = false, requirements: [Requirement] = [], inputs: [String] = []) {
        self.body = body
        self.limit = min(limit ?? Self.unlimited, Self.unlimited)
        self.sudo = sudo
        self.requirements = requirements
        self.inputs = inputs
    }

    /// True when the command has a limit of its own.
    public var limited: Bool { limit < Self.unlimited }

    /// The same command with its limit capped (a step's `timeout:` caps every command in it).
    public func capped(at seconds: Double?) -> HostCommand {
        guard let seconds else { return self }
        var copy = self
        copy.limit = min(limit, seconds)
        return copy
    }

    /// What the host receives: the exec request and standard input, with the secrets' values.
    public func message(secrets: [String: String], inputs values: [String: String] = [:]) throws(MissingSecret) -> WireMessage {
        var exports: [(String, String)] = []
        for name in body.secrets {
            guard let value = secrets[name] else { throw MissingSecret(name: name) }
            exports.append((SecretName.environment(name), ShellQuote.quote(value)))
        }
        for name in inputs {
            guard let value = values[name] else { throw MissingSecret(name: name) }
            exports.append((name, ShellQuote.quote(value)))
        }
        return WireMessage(request: Starter.request(sudo: sudo), stdin: Starter.payload(self, exports: exports), limit: limit)
    }

    /// The same bytes with each secret's value shown as `••••` and each input as `<NAME>`: what plans print.
    public var shown: WireMessage {
        let exports = body.secrets.map { (SecretName.environment($0), secretMask) } + inputs.map { ($0, "<\($0)>") }
        return WireMessage(request: Starter.request(sudo: sudo), stdin: Starter.payload(self, exports: exports), limit: limit)
    }
}

/// A secret the command reads was not given a value.
public struct MissingSecret: Error, Sendable, Equatable {
    public var name: String
}

/// The bytes of one command on the wire: the exec request, and what is written to its standard input
/// (which then stays open: the host kills the command's process group when it closes).
public struct WireMessage: Sendable, Hashable, Codable {
    public var request: String
    public var stdin: String
    /// The command's own limit in seconds; the transport's backstop waits a little longer.
    public var limit: Double

    public init(request: String, stdin: String, limit: Double) {
        self.request = request
        self.stdin = stdin
        self.limit = limit
    }

    /// `timeout` exits 124 when it stopped the command, 137 when it had to KILL it.
    public func timedOut(status: Int32) -> Bool { limit < HostCommand.unlimited && (status == 124 || status == 137) }
}
