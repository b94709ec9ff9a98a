import RunbookModel
import Wire

/// `free_port PORT, signal:, grace:`: signals every listener on the port, waits, then kills what is left.
struct FreePortAction: PlannableAction {
    static let keyword = "free_port"
    static let synonyms = ["kill_port", "fuser", "release_port"]
    static let signature = Signature(
        positional: [("port", .port)],
        keywords: [("signal", .symbol(["TERM", "INT", "HUP", "QUIT", "KILL", "USR1", "USR2"])), ("grace", .duration)])

    var port: Expr
    var signal: String
    var grace: Expr

    init(port: Expr, signal: String, grace: Expr) {
        self.port = port
        self.signal = signal
        self.grace = grace
    }

    init?(_ args: inout CheckedArguments) {
        guard let port = args.positional(0) else { return nil }
        self.init(port: port, signal: args.symbol("signal") ?? "TERM", grace: args["grace"] ?? .text("10s"))
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let port = try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.port(self.port, what: "the port of `free_port`") }
        let grace = try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.duration(self.grace, what: "`grace:`") }
        let script = Scripts.freePort(port: port, signal: signal, graceMilliseconds: grace.milliseconds)
        return PlannedAction(
            keyword: Self.keyword, summary: "free port \(port): \(signal) every listener (IPv4 and IPv6), wait \(grace), then KILL",
            guards: [],
            operations: [
                .shell(ShellCommand(script), timeout: TimeSpan(milliseconds: grace.milliseconds + 10_000), requirements: [.procNetTCP, .findLname])
            ], undo: [],
            cleanup: [])
    }
}
