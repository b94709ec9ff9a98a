import RunbookModel
import Wire

/// `reload app` (or `signal:` instead of the supervisor's own reload), then waits until the app runs.
struct ReloadAction: PlannableAction {
    static let keyword = "reload"
    static let synonyms = ["graceful_reload", "hup", "sighup", "refresh", "reread"]
    static let signature = Signature(
        positional: [("app", .string)], keywords: [("signal", .symbol(["HUP", "USR1", "USR2", "TERM", "INT", "QUIT"]))])

    var app: Expr
    var signal: String?

    init(app: Expr, signal: String?) {
        self.app = app
        self.signal = signal
    }

    init?(_ args: inout CheckedArguments) {
        guard let app = args.positional(0) else { return nil }
        self.init(app: app, signal: args.symbol("signal"))
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        let reload = ShellCommand(adapter.reload(app.value, signal: signal))
        // A signal leaves the app running; a reload may restart it: wait until it runs either way.
        let operations: [Operation] = [.shell(reload, timeout: nil), planner.waitFor(app, adapter, running: true)]
        return PlannedAction(
            keyword: Self.keyword, summary: signal.map { "send \($0) to \(app.display)" } ?? "reload \(app.display)", guards: [],
            operations: operations, undo: operations, cleanup: [], appUndo: true, logs: planner.logs(app, adapter))
    }
}
