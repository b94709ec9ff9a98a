import RunbookModel
import Wire

/// `reachable "host:port", timeout:`: a TCP connect from the host succeeds.
struct ReachableAssertion: PlannableAssertion {
    static let keyword = "reachable"
    static let synonyms = ["connect", "tcp", "ping", "port_open"]
    static let signature = Signature(positional: [("target", .string)], keywords: [("timeout", .duration)])

    var target: Expr
    var timeout: Expr

    init?(_ args: inout CheckedArguments) {
        guard let target = args.positional(0) else { return nil }
        if case .string(let literal) = target, let text = literal.plainText, HostPort(parsing: text) == nil {
            args.error("`reachable` takes \"host:port\" (\"[::1]:5432\" for IPv6), not \"\(text)\"", at: args.positionalLocations.first ?? args.location)
            return nil
        }
        self.target = target
        self.timeout = args["timeout"] ?? .text("5s")
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let target = try planner.text(self.target)
        guard let destination = HostPort(parsing: target.value) else {
            throw ActionPlanner.Failure(message: "`reachable` takes \"host:port\", not `\(target.display)`")
        }
        let timeout = try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.duration(self.timeout, what: "`timeout:`") }
        return .reachable(
            target: destination.description, probe: ShellCommand(Scripts.reachableProbe(host: destination.host, port: destination.port)),
            timeout: timeout)
    }
}
