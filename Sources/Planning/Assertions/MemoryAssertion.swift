import RunbookModel
import Wire

/// `memory app, max: "1G"`: the resident memory of the app's process tree stays under `max`.
struct MemoryAssertion: PlannableAssertion {
    static let keyword = "memory"
    static let synonyms = ["mem", "rss", "heap"]
    static let signature = Signature(positional: [("app", .string)], keywords: [("max", .memorySize)], requiredKeywords: ["max"])

    var app: Expr
    var max: Expr

    init?(_ args: inout CheckedArguments) {
        guard let app = args.positional(0), let max = args["max"] else { return nil }
        self.app = app
        self.max = max
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let adapter = try planner.needSupervisor(Self.keyword)
        let app = try planner.text(self.app)
        let maxText = try planner.text(self.max).value
        guard let max = MemorySize.bytes(maxText) else {
            throw ActionPlanner.Failure(message: "`max:` must be a size such as \"512M\" or \"1G\", not `\(maxText)`")
        }
        return .memory(app: app.value, status: ShellCommand(adapter.status(app.value)), rss: ShellCommand(Scripts.treeRSS), max: max)
    }
}
