import Wire

/// Plain commands that follow one another on a host, sent as one exec. Each exec costs the host a
/// session fork, a login shell and the starter's shells (about 2 ms of CPU, most of a step's cost on a
/// busy fleet); a chain of steps that are only commands pays that once. Each link still runs in a
/// subshell of its own, as isolated as it would be alone, and prints a marker with its status on both output streams
/// when it ends, so the controller reports every step as if it had been sent alone. A failed link
/// ends the exec: nothing after it runs.
public struct CommandChain: Sendable, Hashable {
    /// One command of the chain: an action of a step.
    public struct Link: Sendable, Hashable {
        public var step: String
        /// The action's index in its step.
        public var action: Int
        /// The command as it would be sent alone.
        public var command: HostCommand
    }

    public var links: [Link]
    /// What is sent: the links in order, each followed by its marker.
    public var command: HostCommand

    /// The steps of the chain, in order.
    public var steps: [String] {
        var seen: [String] = []
        for link in links where seen.last != link.step { seen.append(link.step) }
        return seen
    }

    /// A chain's body is one argument of `sh -c` on the host, and Linux caps one argument at 128 KiB:
    /// links are not joined past this (quoting grows them), so chaining never makes a command too long.
    public static let maximumBody = 48 * 1024

    /// Starts every marker: a record separator (never in text a command means to print) and a name.
    public static let markerPrefix = "\u{1e}runbook-link "
    /// Starts the chain's first line on both streams, with the value every marker of this exec carries:
    /// read on the host when the exec starts and never exported, so no link can print a marker that
    /// counts (a link printing markers of its own would otherwise report itself done).
    public static let headerPrefix = "\u{1e}runbook-chain "
    /// The body's first line: the value, then the header on both streams.
    static let preamble =
        "n=; { read -r n < /proc/sys/kernel/random/uuid; } 2>/dev/null; [ -n \"$n\" ] || n=$$; printf '\\036runbook-chain %s\\n' \"$n\"; printf '\\036runbook-chain %s\\n' \"$n\" >&2\n"

    /// The chains of a host's steps: the longest runs of steps where each step's actions are all plain
    /// commands (no guard, undo, cleanup, retry, time limit or run-time input, the same sudo), each
    /// step after the first follows the one before it alone, and nothing else waits for a step before
    /// the last. A chain has two links at least.
    public static func chains(of steps: [PlannedStep], verifications: [PlannedVerification]) -> [CommandChain] {
        let names = Set(steps.map(\.name))
        let byName = Dictionary(steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var dependents: [String: [String]] = [:]
        for step in steps {
            for name in Set(step.after).intersection(names) { dependents[name, default: []].append(step.name) }
        }
        let verified = Set(verifications.flatMap(\.after)).intersection(names)
        var chains: [CommandChain] = []
        var taken: Set<String> = []
        // In graph order, so a chain starts at its earliest step; then it follows the graph.
        for step in steps where !taken.contains(step.name) {
            guard var current = links(of: step), var size = Optional(bodySize(current)), size <= maximumBody else { continue }
            var tail = step.name
            var members = [tail]
            while !verified.contains(tail), let next = dependents[tail], next.count == 1, let following = byName[next[0]],
                Set(following.after).intersection(names) == [tail], !taken.contains(following.name), let links = links(of: following),
                links[0].command.sudo == current[0].command.sudo, size + bodySize(links) <= maximumBody
            {
                current += links
                size += bodySize(links)
                tail = following.name
                members.append(tail)
            }
            guard current.count >= 2 else { continue }
            chains.append(make(current))
            taken.formUnion(members)
        }
        return chains
    }

    /// About what links add to a chain's body (their markers' indices aside).
    static func bodySize(_ links: [Link]) -> Int {
        links.reduce(0) { $0 + script(of: $1, at: 0, last: false).script.utf8.count }
    }

    /// The step's commands as links, or nil when the step cannot be part of a chain.
    static func links(of step: PlannedStep) -> [Link]? {
        guard step.retries == 0, step.timeout == nil, !step.actions.isEmpty else { return nil }
        var links: [Link] = []
        for (index, action) in step.actions.enumerated() {
            guard action.guards.isEmpty, action.undo.isEmpty, action.cleanup.isEmpty, action.logs == nil, action.operations.count == 1,
                case .command(let command) = action.operations[0], !command.limited, command.inputs.isEmpty
            else { return nil }
            if let sudo = links.last?.command.sudo, sudo != command.sudo { return nil }
            links.append(Link(step: step.name, action: index, command: command))
        }
        return links
    }

    static func make(_ links: [Link]) -> CommandChain {
        var body = ShellCommand(preamble)
        for (index, link) in links.enumerated() { body = body + script(of: link, at: index, last: index == links.count - 1) }
        var requirements: [Requirement] = []
        for requirement in links.flatMap(\.command.requirements) where !requirements.contains(requirement) { requirements.append(requirement) }
        var command = HostCommand(body, sudo: links[0].command.sudo, requirements: requirements)
        // The lock's release rides on the host's last command: on the chain that ends with it.
        command.onSuccess = links.last?.command.onSuccess
        return CommandChain(links: links, command: command)
    }

    /// One link's part of the body: its command in a subshell of its own, then its marker on both
    /// streams. A subshell isolates the link as `sh -c` did (directory, variables, options, `exit`),
    /// and `eval` keeps a syntax error to that link, for a fork instead of a fork and an exec of sh:
    /// 1.24x the floor became 1.13x at 50 hosts (docs/performance.md). The nonce is unset first, so a
    /// link cannot read it to forge a marker. A subshell shares the chain's `$$` and `$PPID`: a link
    /// that names them runs in a `sh -c` of its own, as it would alone.
    static func script(of link: Link, at index: Int, last: Bool) -> ShellCommand {
        let marker = "printf '\\036runbook-link %s \(index) %s\\n' \"$n\" $s"
        let body = link.command.body
        // `${$` also covers `${$:-x}` and `${$%7}`, which expand to the pid as `$$` does.
        let ownProcess = ["$$", "${$", "PPID"].contains { body.script.contains($0) }
        let own = ownProcess ? "sh -c " + body.quoted : "( unset n s; eval " + body.quoted + " )"
        return own + "; s=$?; \(marker); \(marker) >&2" + (last ? "; exit $s\n" : "; [ $s = 0 ] || exit $s\n")
    }

    /// A marker in a line of output: the text before it, the link's index and its status. The marker
    /// is the line's last one: a link's output left without a newline (even a partial marker) comes
    /// before it on the same line.
    public static func marker(in line: String) -> (before: String, nonce: String, link: Int, status: Int32)? {
        guard let range = line.ranges(of: markerPrefix).last else { return nil }
        let fields = line[range.upperBound...].split(separator: " ")
        guard fields.count == 3, let link = Int(fields[1]), let status = Int32(fields[2]) else { return nil }
        return (String(line[..<range.lowerBound]), String(fields[0]), link, status)
    }

    /// The value a header line announces, if the line is the chain's header.
    public static func header(in line: String) -> String? {
        guard line.hasPrefix(headerPrefix) else { return nil }
        let value = line.dropFirst(headerPrefix.count)
        return value.isEmpty || value.contains(" ") ? nil : String(value)
    }
}
