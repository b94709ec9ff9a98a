import RunbookModel

/// `env_file PATH, has: {K: v}`: the env file holds these values.
struct EnvFileAssertion: PlannableAssertion {
    static let keyword = "env_file"
    static let signature = Signature(positional: [("path", .string)], keywords: [("has", .valueHash)], requiredKeywords: ["has"])

    var path: Expr
    var has: [KeyedExpr]

    init?(_ args: inout CheckedArguments) {
        guard let path = args.positional(0) else { return nil }
        self.path = path
        self.has = args.entries("has")
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        .envFile(path: try planner.text(path).value, has: try planner.expected(has))
    }
}
