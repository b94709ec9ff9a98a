import RunbookModel

/// `not_listening PORT`: nothing listens on the port.
struct NotListeningAssertion: PlannableAssertion {
    static let keyword = "not_listening"
    static let signature = Signature(positional: [("port", .port)])

    var port: Expr

    init?(_ args: inout CheckedArguments) {
        guard let port = args.positional(0) else { return nil }
        self.port = port
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        .notListening(port: try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.port(port, what: "the port of `not_listening`") })
    }
}
