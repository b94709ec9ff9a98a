import RunbookModel
import Wire

/// `env_file PATH, set: {K: v}, unset: ["K"]`: edits a KEY=value file in place.
struct EnvFileAction: PlannableAction {
    static let keyword = "env_file"
    static let synonyms = ["dotenv", "env", "set_env", "setenv", "envfile"]
    static let signature = Signature(positional: [("path", .string)], keywords: [("set", .valueHash), ("unset", .stringArray)])

    var path: Expr
    var set: [KeyedExpr]
    var unset: [Expr]

    init?(_ args: inout CheckedArguments) {
        guard let path = args.positional(0) else { return nil }
        let set = args.entries("set")
        var unset: [Expr] = []
        if case .array(let names)? = args["unset"] { unset = names }
        for entry in set where !Validator.isEnvironmentName(entry.key) {
            args.error("`\(entry.key)` is not a valid variable name for an env file", at: args.location(of: "set"))
        }
        for case .string(let literal) in unset {
            if let name = literal.plainText, !Validator.isEnvironmentName(name) {
                args.error("`\(name)` is not a valid variable name for an env file", at: args.location(of: "unset"))
            }
            if let name = literal.plainText, set.contains(where: { $0.key == name }) {
                args.error("`\(name)` is both set and unset", at: args.location(of: "unset"))
            }
        }
        if set.isEmpty && unset.isEmpty {
            args.error("`env_file` needs `set:` or `unset:` (an assertion about the file is `env_file PATH, has: {...}` in `verify`)", at: args.location)
            return nil
        }
        self.path = path
        self.set = set
        self.unset = unset
    }

    /// Edits the file through a temporary copy written back in place (`cat > file`), so its inode,
    /// owner and mode stay; the undo writes the backup's bytes back the same way.
    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let path = try planner.path(self.path, "the env file's path")
        var assignments = ShellCommand("")
        for (index, entry) in set.enumerated() {
            let value = try planner.text(entry.value)
            if value.value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                throw ActionPlanner.Failure(
                    message: "`env_file` cannot write `\(entry.key)`: its value has a line break (an env file holds one line per variable)")
            }
            let line = Rendered(value: Scripts.envValue(value.value), display: value.value == value.display ? Scripts.envValue(value.display) : value.display)
            assignments = assignments + "RB_V\(index)=" + line.quoted + " "
        }
        var dropped: [String] = []
        for expr in unset {
            let name = try planner.text(expr).value
            guard Self.isVariableName(name) else { throw ActionPlanner.Failure(message: "`unset:` names `\(name)`, which is not a variable name") }
            dropped.append(name)
        }
        let runID = planner.runID
        let f = path.quoted
        let backup = Rendered(value: Scripts.aside(path.value, runID: runID), display: Scripts.aside(path.display, runID: runID)).quoted
        let none = Rendered(value: Scripts.aside(path.value, runID: runID) + ".none", display: Scripts.aside(path.display, runID: runID) + ".none").quoted
        let temporary = Rendered(value: path.value + ".runbook-tmp-\(runID)", display: path.display + ".runbook-tmp-\(runID)").quoted
        let copy = Rendered(value: Scripts.aside(path.value, runID: runID) + ".copy", display: Scripts.aside(path.display, runID: runID) + ".copy").quoted
        let awk = ShellQuote.quote(Scripts.envFileAwk(keys: set.map(\.key), unset: dropped))
        let edit: ShellCommand =
            "if [ -e " + backup + " ] || [ -e " + none + " ]; then [ -e " + f + " ] || : > " + f + "; elif [ -e " + f + " ]; then cp -p " + f + " " + copy
            + " && mv -f " + copy
            + " " + backup + "; else : > " + none + " && : > " + f + "; fi && " + assignments + "awk " + awk
            + " " + f + " > " + temporary + " && cat " + temporary + " > " + f + " && rm -f " + temporary
        let undo: ShellCommand =
            "rm -f " + temporary + " " + copy + "; if [ -e " + backup + " ]; then cat " + backup + " > " + f + " && touch -r " + backup + " " + f + " && rm -f "
            + backup
            + "; elif [ -e " + none + " ]; then rm -f " + f + " " + none + "; fi"
        let changes = set.map { "\($0.key)" }.map { "set \($0)" } + dropped.map { "unset \($0)" }
        return PlannedAction(
            keyword: Self.keyword, summary: "edit \(path.display): " + changes.joined(separator: ", "), guards: [],
            operations: [.shell(edit, timeout: nil)], undo: [.shell(undo, timeout: nil)], cleanup: ["rm -f " + backup + " " + none],
            paths: [path.value])
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || CharacterSetASCII.isAlphanumeric(first), !("0"..."9").contains(first) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || CharacterSetASCII.isAlphanumeric($0) }
    }
}
