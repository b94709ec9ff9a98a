import RunbookModel
import Wire

/// `start target, name:, cwd:`: starts an app (a supervisor's name, or a script under `name:`) and waits until it runs.
struct StartAction: PlannableAction {
    static let keyword = "start"
    static let synonyms = ["launch", "spawn"]
    static let signature = Signature(positional: [("app", .string)], keywords: [("name", .string), ("cwd", .string)])

    var target: Expr
    var name: Expr?
    var cwd: Expr?

    init?(_ args: inout CheckedArguments) {
        guard let target = args.positional(0) else { return nil }
        self.target = target
        self.name = args["name"]
        self.cwd = args["cwd"]
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let adapter = try planner.needSupervisor(Self.keyword)
        let target = try planner.text(self.target)
        let name = try name.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr) }
        let cwd = try cwd.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr) }
        let app = name ?? target
        let start = planner.wrap(ShellCommand(adapter.start(target.value, name: name?.value)), cwd: cwd, env: [])
        return PlannedAction(
            keyword: Self.keyword, summary: "start \(app.display)", guards: [],
            operations: [.shell(start, timeout: nil), planner.waitFor(app, adapter, running: true)],
            undo: [.shell(ShellCommand(adapter.stop(app.value)), timeout: nil), planner.waitFor(app, adapter, running: false)], cleanup: [],
            appUndo: true, logs: planner.logs(app, adapter))
    }
}
