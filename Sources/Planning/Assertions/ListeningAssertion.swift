import RunbookModel

/// `listening PORT, address: | family:, process:`: a socket listens on the port (and address, family, program).
struct ListeningAssertion: PlannableAssertion {
    static let keyword = "listening"
    static let synonyms = ["listen"]
    static let signature = Signature(
        positional: [("port", .port)],
        keywords: [("address", .string), ("family", .symbol(["ipv4", "ipv6"])), ("process", .string)])

    var port: Expr
    var address: Expr?
    var family: String?
    var process: Expr?

    init?(_ args: inout CheckedArguments) {
        guard let port = args.positional(0) else { return nil }
        if args["address"] != nil, args["family"] != nil {
            args.error("`listening` takes `address:` or `family:`, not both", at: args.location)
            return nil
        }
        self.port = port
        self.address = args["address"]
        self.family = args.symbol("family")
        self.process = args["process"]
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let port = try planner.convert { () throws(ValueRenderer.Problem) in try planner.renderer.port(self.port, what: "the port of `listening`") }
        return .listening(
            port: port, address: try address.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value }, family: family,
            process: try process.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value })
    }
}
