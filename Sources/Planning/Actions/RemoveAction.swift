import RunbookModel
import Wire

/// `remove app`: takes the app out of the supervisor, kept so that the undo can put it back.
struct RemoveAction: PlannableAction, AppSubject {
    static let keyword = "remove"
    static let synonyms = ["delete", "rm", "destroy", "unregister", "disable"]

    var app: Expr

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        let runID = planner.runID
        let state = adapter.removeStatePath(app.value, runID: runID)
        return PlannedAction(
            keyword: Self.keyword, summary: "remove \(app.display) from \(adapter.kind.rawValue) (kept to be put back)", guards: [],
            operations: [.shell(ShellCommand(adapter.remove(app.value, state: state, runID: runID)), timeout: nil)],
            undo: [.shell(ShellCommand(adapter.restore(app.value, state: state, runID: runID)), timeout: nil)],
            cleanup: [ShellCommand(adapter.removeCleanup(app.value, state: state, runID: runID))], appUndo: true, logs: nil)
    }
}
