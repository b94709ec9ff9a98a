/// A piece of a string literal: literal text or a `#{name}` / `#{name.field}` interpolation.
public enum StringPart: Sendable, Hashable {
    case text(String)
    case interpolation(path: [String], location: SourceLocation)
}

/// A string, heredoc or single-quoted literal, already unescaped.
public struct StringLiteral: Sendable, Hashable {
    public var parts: [StringPart]

    public init(parts: [StringPart]) { self.parts = parts }

    /// The text when there is no interpolation.
    public var plainText: String? {
        var out = ""
        for part in parts {
            guard case .text(let text) = part else { return nil }
            out += text
        }
        return out
    }
}

/// A value in argument position, with the location where it starts.
public struct ValueNode: Sendable, Hashable {
    /// What kind of value was written.
    public indirect enum Kind: Sendable, Hashable {
        case string(StringLiteral)
        case integer(Int)
        case symbol(String)
        case bool(Bool)
        case null
        case array([ValueNode])
        case hash([HashEntry])
        case reference(String)
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// How the value is described in messages ("a string", "an integer").
    public var kindDescription: String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .symbol: "a symbol"
        case .bool: "a boolean"
        case .null: "nil"
        case .array: "an array"
        case .hash: "a hash"
        case .reference(let name): "the parameter reference `\(name)`"
        }
    }
}

/// One `key: value` pair of a hash literal.
public struct HashEntry: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: ValueNode
}

/// A positional or keyword argument of a statement.
public struct Argument: Sendable, Hashable {
    public var label: String?
    public var labelLocation: SourceLocation?
    public var value: ValueNode

    public init(label: String?, labelLocation: SourceLocation?, value: ValueNode) {
        self.label = label
        self.labelLocation = labelLocation
        self.value = value
    }
}

/// `name args block` — every line of a runbook is one of these.
public struct Statement: Sendable, Hashable {
    public var name: String
    public var location: SourceLocation
    public var arguments: [Argument]
    public var block: Block?

    public var positional: [ValueNode] { arguments.filter { $0.label == nil }.map(\.value) }
}

/// The statements between `do`/`end` or `{`/`}`.
public struct Block: Sendable, Hashable {
    public var statements: [Statement]
    public var location: SourceLocation
}

/// A parsed file: its top-level statements (a valid runbook has exactly one, `runbook`).
public struct SyntaxTree: Sendable {
    public var file: SourceFile
    public var statements: [Statement]
}
