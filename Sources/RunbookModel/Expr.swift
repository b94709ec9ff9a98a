import RunbookLanguage

/// A value as the runbook wrote it, resolved per host when the plan is made.
public indirect enum Expr: Sendable, Hashable {
    case string(StringLiteral)
    case int(Int)
    case bool(Bool)
    case symbol(String)
    /// A bare parameter name in argument position (`free_port port`).
    case reference(String)
    case array([Expr])
    case hash([KeyedExpr])
    case null

    /// Builds the model value of a syntax node.
    public init(_ node: ValueNode) {
        switch node.kind {
        case .string(let literal): self = .string(literal)
        case .integer(let value): self = .int(value)
        case .symbol(let name): self = .symbol(name)
        case .bool(let value): self = .bool(value)
        case .null: self = .null
        case .reference(let name): self = .reference(name)
        case .array(let elements): self = .array(elements.map(Expr.init))
        case .hash(let entries): self = .hash(entries.map { KeyedExpr(key: $0.key, value: Expr($0.value)) })
        }
    }

    /// A literal text value.
    public static func text(_ text: String) -> Expr { .string(StringLiteral(parts: [.text(text)])) }

    /// Every parameter name this value reads, bare or interpolated.
    public var references: [String] {
        switch self {
        case .reference(let name): return [name]
        case .string(let literal):
            return literal.parts.compactMap {
                if case .interpolation(let path, _) = $0 { return path.joined(separator: ".") }
                return nil
            }
        case .array(let elements): return elements.flatMap(\.references)
        case .hash(let entries): return entries.flatMap(\.value.references)
        default: return []
        }
    }
}

/// One `key: value` of a hash value (e.g. an `env:` entry).
public struct KeyedExpr: Sendable, Hashable {
    public var key: String
    public var value: Expr

    public init(key: String, value: Expr) {
        self.key = key
        self.value = value
    }
}
