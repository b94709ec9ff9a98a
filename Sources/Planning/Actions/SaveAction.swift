import RunbookModel
import Supervisors
import Wire

/// `save`: saves the supervisor's process list (pm2's dump), keeping the previous one for the undo.
struct SaveAction: PlannableAction {
    static let keyword = "save"
    static let synonyms = ["pm2_save", "persist"]
    static let signature = Signature()

    init?(_ args: inout CheckedArguments) {}

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let adapter = try planner.needSupervisor(Self.keyword)
        guard let save = adapter.save() else {
            return PlannedAction(
                keyword: Self.keyword, summary: "save: \(adapter.kind.rawValue) keeps its process list by itself; nothing to do", guards: [],
                operations: [], undo: [], cleanup: [])
        }
        let dump = PM2Adapter.dumpPath
        let backup = "\"${PM2_HOME:-$HOME/.pm2}/dump.pm2.runbook-\(planner.runID)\""
        return PlannedAction(
            keyword: Self.keyword, summary: "save the process list (the previous dump is kept)", guards: [],
            operations: [
                .shell(
                    ShellCommand(
                        "if [ -e \(backup) ] || [ -e \(backup).none ]; then :; elif [ -f \(dump) ]; then cp -p \(dump) \(backup).tmp && mv -f \(backup).tmp \(backup); else : > \(backup).none; fi && \(save)"
                    ), timeout: nil)
            ],
            undo: [
                .shell(
                    ShellCommand("if [ -f \(backup) ]; then mv -f \(backup) \(dump); elif [ -f \(backup).none ]; then rm -f \(dump) \(backup).none; fi"),
                    timeout: nil)
            ],
            cleanup: [ShellCommand("rm -f \(backup) \(backup).none")])
    }
}
