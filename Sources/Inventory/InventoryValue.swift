/// A variable's value as an inventory gives it: YAML keeps types, INI group vars are strings.
public indirect enum InventoryValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([InventoryValue])
    case map([String: InventoryValue])
    case null

    /// The text a value interpolates as.
    public var description: String {
        switch self {
        case .string(let text): text
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .null: ""
        case .list(let values): "[" + values.map(\.quotedDescription).joined(separator: ", ") + "]"
        case .map(let entries):
            "{" + entries.keys.sorted().map { "\($0): \(entries[$0]?.quotedDescription ?? "")" }.joined(separator: ", ") + "}"
        }
    }

    private var quotedDescription: String {
        if case .string(let text) = self { return "\"\(text)\"" }
        return description
    }

    /// The value as an integer, when it is one or a string of digits.
    public var intValue: Int? {
        switch self {
        case .int(let value): value
        case .string(let text): Int(text)
        default: nil
        }
    }
}
