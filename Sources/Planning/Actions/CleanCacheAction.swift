import RunbookModel
import Wire

/// `clean_cache PATH`: moves the path aside (the undo moves it back; cleanup deletes it once verified).
struct CleanCacheAction: PlannableAction {
    static let keyword = "clean_cache"
    static let synonyms = ["clear_cache", "rm_cache", "purge_cache"]
    static let signature = Signature(positional: [("path", .string)])

    var path: Expr

    init?(_ args: inout CheckedArguments) {
        guard let path = args.positional(0) else { return nil }
        self.path = path
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let path = try planner.path(self.path, "the path to clean")
        let runID = planner.runID
        let aside = Rendered(value: Scripts.aside(path.value, runID: runID), display: Scripts.aside(path.display, runID: runID))
        let p = path.quoted
        let a = aside.quoted
        return PlannedAction(
            keyword: Self.keyword, summary: "move \(path.display) aside to \(aside.display)", guards: [],
            operations: [.shell("if [ -e " + p + " ] && [ ! -e " + a + " ]; then mv -T " + p + " " + a + "; fi", timeout: nil)],
            undo: [.shell("if [ -e " + a + " ]; then rm -rf " + p + " && mv -T " + a + " " + p + "; fi", timeout: nil)],
            cleanup: ["rm -rf " + a], paths: [path.value])
    }
}
