import RunbookModel

/// `http URL, status:, method:, contains:, json:, timeout:, from:`: an HTTP answer, through the host or from the controller.
struct HTTPAssertion: PlannableAssertion {
    static let keyword = "http"
    static let synonyms = ["curl", "get"]
    static let signature = Signature(
        positional: [("url", .string)],
        keywords: [
            ("status", .status), ("method", .string), ("contains", .string), ("json", .valueHash), ("timeout", .duration),
            ("from", .symbol(["host", "controller"])),
        ])

    var url: Expr
    var status: Expr
    var method: Expr
    var contains: Expr?
    var json: [KeyedExpr]
    var timeout: Expr
    var fromController: Bool

    init?(_ args: inout CheckedArguments) {
        guard let url = args.positional(0) else { return nil }
        self.url = url
        self.status = args["status"] ?? .int(200)
        self.method = args["method"] ?? .text("GET")
        if case .string(let literal) = method, let text = literal.plainText, !Self.isMethod(text) {
            args.error(Self.badMethod(text), at: args.location(of: "method"))
            return nil
        }
        self.contains = args["contains"]
        self.json = args.entries("json")
        self.timeout = args["timeout"] ?? .text("5s")
        self.fromController = args.symbol("from") == "controller"
    }

    /// The method is sent as is in the request line: anything but letters and dashes could inject headers.
    static func isMethod(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || $0 == "-" }
    }

    static func badMethod(_ text: String) -> String { "`method:` must be an HTTP method such as \"GET\" or \"HEAD\", not \(text.debugDescription)" }

    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck {
        let renderer = planner.renderer
        let method = try planner.text(method).value.uppercased()
        guard Self.isMethod(method) else { throw ActionPlanner.Failure(message: Self.badMethod(method)) }
        return .http(
            url: try planner.text(url).value, statuses: try planner.convert { () throws(ValueRenderer.Problem) in try renderer.statuses(status) },
            method: method,
            contains: try contains.map { (expr) throws(ActionPlanner.Failure) in try planner.text(expr).value },
            json: try planner.expected(json),
            timeout: try planner.convert { () throws(ValueRenderer.Problem) in try renderer.duration(timeout, what: "`timeout:`") },
            fromController: fromController)
    }
}
