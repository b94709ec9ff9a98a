import RunbookModel
import Wire

/// `upload SOURCE, to:, mode:`: copies a controller file to a temporary name, then renames it over the
/// destination, keeping the previous file for the undo.
struct UploadAction: PlannableAction {
    static let keyword = "upload"
    static let synonyms = ["copy", "cp", "scp", "put"]
    static let signature = Signature(
        positional: [("source", .string)], keywords: [("to", .string), ("mode", .string)], requiredKeywords: ["to"])

    var source: Expr
    var destination: Expr
    var mode: Expr?

    init?(_ args: inout CheckedArguments) {
        guard let source = args.positional(0), let destination = args["to"] else { return nil }
        self.source = source
        self.destination = destination
        self.mode = args["mode"]
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let source = try planner.text(self.source)
        let destination = try planner.path(self.destination, "the upload's destination (`to:`)")
        let mode = try self.mode.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value }
        if let mode, mode.isEmpty || !mode.allSatisfy({ ("0"..."7").contains($0) }) || mode.count > 4 {
            throw ActionPlanner.Failure(message: "`mode:` must be octal such as \"0644\", not `\(mode)`")
        }
        let runID = planner.runID
        let temporary = destination.value + ".runbook-tmp-\(runID)"
        let backup = Rendered(Scripts.aside(destination.value, runID: runID)).quoted
        // A marker says the file did not exist, and a copy is made under another name then renamed:
        // the undo then knows what to put back whatever point the action reached, and does nothing twice.
        let none = Rendered(Scripts.aside(destination.value, runID: runID) + ".none").quoted
        let copy = Rendered(Scripts.aside(destination.value, runID: runID) + ".copy").quoted
        let d = destination.quoted
        let t = Rendered(temporary).quoted
        let chmod = mode.map { "chmod \($0) " + t.script + " && " } ?? ""
        return PlannedAction(
            keyword: Self.keyword, summary: "upload \(source.display) to \(destination.display)", guards: [],
            operations: [
                .upload(source: source.value, temporary: temporary, mode: mode),
                .shell(
                    chmod + "if [ -e " + backup + " ] || [ -e " + none + " ]; then :; elif [ -e " + d + " ]; then ln -f " + d + " " + backup
                        + " 2>/dev/null || { cp -p " + d + " " + copy + " && mv -f " + copy + " " + backup + "; }; else : > " + none + "; fi && mv -f "
                        + t + " " + d,
                    timeout: nil),
            ],
            undo: [
                .shell(
                    "rm -f " + t + " " + copy + "; if [ -e " + backup + " ]; then if [ " + backup + " -ef " + d + " ]; then rm -f " + backup
                        + "; else mv -f " + backup + " " + d + "; fi; elif [ -e " + none + " ]; then rm -f " + d + " " + none + "; fi", timeout: nil)
            ],
            cleanup: ["rm -f " + backup + " " + none], paths: [destination.value])
    }
}
