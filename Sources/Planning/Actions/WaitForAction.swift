import RunbookModel
import Wire

/// `wait_for port: PORT` or `wait_for http: URL, status:`, up to `timeout:`; it changes nothing.
struct WaitForAction: PlannableAction {
    static let keyword = "wait_for"
    static let synonyms = ["wait", "sleep"]
    static let signature = Signature(keywords: [("port", .port), ("http", .string), ("status", .status), ("timeout", .duration)])

    /// What it waits for.
    enum Target: Hashable {
        case port(Expr)
        case http(url: Expr, status: Expr)
    }

    var target: Target
    var timeout: Expr

    init?(_ args: inout CheckedArguments) {
        let timeout = args["timeout"] ?? .text("30s")
        switch (args["port"], args["http"]) {
        case (let port?, nil):
            if args["status"] != nil {
                args.error("`status:` goes with `wait_for http:`, not `port:`", at: args.location(of: "status"))
            }
            self.target = .port(port)
        case (nil, let url?):
            self.target = .http(url: url, status: args["status"] ?? .int(200))
        case (.some, .some):
            args.error("`wait_for` waits for one thing: give `port:` or `http:`, not both", at: args.location)
            return nil
        case (nil, nil):
            args.error("`wait_for` needs `port:` or `http:`", at: args.location)
            return nil
        }
        self.timeout = timeout
    }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction {
        let renderer = planner.renderer
        switch target {
        case .port(let portExpr):
            let port = try planner.convert { () throws(ValueRenderer.Problem) in try renderer.port(portExpr, what: "`port:`") }
            let timeout = try planner.convert { () throws(ValueRenderer.Problem) in try renderer.duration(self.timeout, what: "`timeout:`") }
            return PlannedAction(
                keyword: Self.keyword, summary: "wait for port \(port)", guards: [],
                operations: [.waitForPort(port: port, probe: SocketTable.probe(port: port, owners: false), timeout: timeout)],
                undo: [], cleanup: [], effect: false)
        case .http(let urlExpr, let statusExpr):
            let url = try planner.text(urlExpr)
            let statuses = try planner.convert { () throws(ValueRenderer.Problem) in try renderer.statuses(statusExpr) }
            let timeout = try planner.convert { () throws(ValueRenderer.Problem) in try renderer.duration(self.timeout, what: "`timeout:`") }
            return PlannedAction(
                keyword: Self.keyword, summary: "wait for \(url.display)", guards: [],
                operations: [.waitForHTTP(url: url.value, statuses: statuses, timeout: timeout)], undo: [], cleanup: [], effect: false)
        }
    }
}
