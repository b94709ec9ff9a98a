import RunbookModel
import Wire

/// `symlink LINK, to: TARGET`: points the link at the target atomically, keeping the old target for the undo.
struct SymlinkAction: PlannableAction {
    static let keyword = "symlink"
    static let synonyms = ["ln", "link"]
    static let signature = Signature(positional: [("link", .string)], keywords: [("to", .string)], requiredKeywords: ["to"])

    var link: Expr
    var target: Expr

    init?(_ args: inout CheckedArguments) {
        guard let link = args.positional(0), let target = args["to"] else { return nil }
        self.link = link
        self.target = target
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let link = try planner.path(self.link, "the symlink's path")
        let target = try planner.text(self.target)
        let runID = planner.runID
        let l = link.quoted
        let state = Rendered(Scripts.aside(link.value, runID: runID)).quoted
        let none = Rendered(Scripts.aside(link.value, runID: runID) + ".none").quoted
        let temporary = Rendered(link.value + ".runbook-tmp-\(runID)").quoted
        return PlannedAction(
            keyword: Self.keyword, summary: "point \(link.display) at \(target.display)", guards: [],
            operations: [
                .shell(
                    "if [ -e " + state + " ] || [ -e " + none + " ]; then :; elif [ -L " + l + " ]; then readlink " + l + " > " + state
                        + ".tmp && mv -f " + state + ".tmp " + state + "; elif [ -e " + l + " ]; then echo " + l
                        + " exists and is not a symlink >&2; false; else : > " + none + "; fi && ln -sfn " + target.quoted + " " + temporary
                        + " && mv -T " + temporary + " " + l, timeout: nil)
            ],
            undo: [
                .shell(
                    "rm -f " + temporary + " " + state + ".tmp; if [ -f " + state + " ]; then ln -sfn \"$(cat " + state + ")\" " + temporary
                        + " && mv -T " + temporary + " " + l + " && rm -f " + state + "; elif [ -e " + none + " ]; then rm -f " + l + " " + none
                        + "; fi", timeout: nil)
            ],
            cleanup: ["rm -f " + state + " " + none], paths: [link.value])
    }
}
