import RunbookLanguage

/// What an argument accepts; literals are checked here, parameter references when the plan resolves them.
public enum ValueKind: Sendable {
    /// A string, possibly interpolated, or a parameter reference.
    case string
    /// A plain string with no interpolation (descriptions, docs, patterns).
    case text
    case int(min: Int)
    case intLiteral(min: Int)
    case port
    case duration
    case durationLiteral
    case bool
    case boolLiteral
    case symbol([String])
    /// A step name or an array of step names, as symbols.
    case stepNames
    /// `{ KEY: value }` for environment variables.
    case env
    /// An HTTP status: an integer, an array of integers, or a range string "200-299".
    case status
    /// A count or a percentage ("25%").
    case hostCount
    /// A parameter default, checked against the parameter's type by the validator.
    case any
    /// A string, or `false` (for `lock false`).
    case textOrFalse
    /// A command, or `false` (for `undo:`).
    case stringOrFalse
    /// `{ KEY: value }` whose values are strings, integers, booleans or parameters (`set:`, `has:`, `json:`).
    case valueHash
    /// An array of strings (`unset: ["DEBUG"]`).
    case stringArray
    /// A memory size: "512K", "1024M", "2G" (powers of 1024) or a number of bytes.
    case memorySize

    /// Words for "expected X" in messages.
    var expectation: String {
        switch self {
        case .string: "a string"
        case .text: "a plain string"
        case .int(let min), .intLiteral(let min): min == 0 ? "an integer of 0 or more" : "an integer of \(min) or more"
        case .port: "a port (1-65535)"
        case .duration, .durationLiteral: "a duration such as \"500ms\", \"30s\", \"5m\" or \"1h\""
        case .bool, .boolLiteral: "`true` or `false`"
        case .symbol(let names):
            names.isEmpty ? "a symbol" : "one of " + names.map { ":\($0)" }.joined(separator: ", ")
        case .stepNames: "a step name (`:name`) or an array of them"
        case .env: "a hash such as `{ NODE_ENV: \"production\" }`"
        case .status: "an HTTP status: an integer, an array of integers, or a range such as \"200-299\""
        case .hostCount: "a count or a percentage such as \"25%\""
        case .any: "a value"
        case .textOrFalse: "a string or `false`"
        case .stringOrFalse: "a command or `false`"
        case .valueHash: "a hash such as `{ PORT: port }`"
        case .stringArray: "an array of strings such as `[\"DEBUG\"]`"
        case .memorySize: "a size such as \"512M\" or \"1G\" (K, M, G are powers of 1024)"
        }
    }
}

/// The arguments one statement takes, its block, and which keywords it needs.
public struct Signature: Sendable {
    var positional: [(name: String, kind: ValueKind)] = []
    var optionalPositional: [(name: String, kind: ValueKind)] = []
    var keywords: [(name: String, kind: ValueKind)] = []
    var requiredKeywords: Set<String> = []
    var block: BlockRule = .none

    enum BlockRule { case none, required }

    /// A statement with these positional and keyword arguments (in the order messages list them).
    public init(
        positional: [(name: String, kind: ValueKind)] = [], keywords: [(name: String, kind: ValueKind)] = [], requiredKeywords: Set<String> = []
    ) {
        self.positional = positional
        self.keywords = keywords
        self.requiredKeywords = requiredKeywords
    }

    init(
        positional: [(name: String, kind: ValueKind)] = [], keywords: [(name: String, kind: ValueKind)] = [], requiredKeywords: Set<String> = [],
        block: BlockRule
    ) {
        self.init(positional: positional, keywords: keywords, requiredKeywords: requiredKeywords)
        self.block = block
    }

    func kind(ofKeyword name: String) -> ValueKind? { keywords.first { $0.name == name }?.kind }
}

/// A statement's arguments after checking against its signature, and the problems its builder found.
public struct CheckedArguments {
    /// Where the statement starts.
    public var location: SourceLocation
    var positional: [Expr] = []
    public var positionalLocations: [SourceLocation] = []
    var keywords: [String: Expr] = [:]
    var keywordLocations: [String: SourceLocation] = [:]
    var problems: [(message: String, location: SourceLocation)] = []

    init(at location: SourceLocation) { self.location = location }

    /// The value of a keyword argument, when given and well-formed.
    public subscript(keyword: String) -> Expr? { keywords[keyword] }

    /// The value of the positional argument at `index`, when given and well-formed.
    public func positional(_ index: Int) -> Expr? { index < positional.count ? positional[index] : nil }

    /// Where a keyword argument was written, or the statement when it was not.
    public func location(of keyword: String) -> SourceLocation { keywordLocations[keyword] ?? location }

    /// The symbol given for a keyword (`signal: :HUP` gives "HUP").
    public func symbol(_ keyword: String) -> String? {
        if case .symbol(let name)? = keywords[keyword] { return name }
        return nil
    }

    /// The boolean given for a keyword.
    public func bool(_ keyword: String) -> Bool? {
        if case .bool(let value)? = keywords[keyword] { return value }
        return nil
    }

    /// The entries of a hash given for a keyword (none when not given).
    public func entries(_ keyword: String) -> [KeyedExpr] {
        if case .hash(let entries)? = keywords[keyword] { return entries }
        return []
    }

    /// Reports a problem with the statement; the validator lists it with the others.
    public mutating func error(_ message: String, at location: SourceLocation) { problems.append((message, location)) }
}
