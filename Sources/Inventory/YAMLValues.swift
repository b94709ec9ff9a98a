import RunbookLanguage
import Yams

/// Turns YAML nodes into values as Ansible's loader (PyYAML, YAML 1.1) types them, within a budget:
/// aliases share nodes, so a few hundred bytes can stand for billions of values.
struct YAMLValues {
    /// Nodes (after aliases are expanded) one file may hold.
    static let nodeBudget = 2_000_000
    /// Characters of scalars (after aliases are expanded) one file may hold.
    static let textBudget = 64 << 20

    let file: SourceFile
    private(set) var nodes = 0
    private(set) var characters = 0

    init(file: SourceFile) { self.file = file }

    static func compose(_ file: SourceFile) throws(Diagnostic) -> Node? {
        do {
            return try Yams.compose(yaml: file.text, Resolver.basic)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw Diagnostic("invalid YAML: \(problem)", at: SourceLocation(line: mark.line, column: mark.column, offset: 0), in: file)
            default:
                throw Diagnostic("invalid YAML: \(error)", at: SourceLocation(line: 1, column: 1, offset: 0), in: file)
            }
        } catch {
            throw Diagnostic("cannot read the YAML: \(error)", at: SourceLocation(line: 1, column: 1, offset: 0), in: file)
        }
    }

    func located(_ message: String, _ node: Node) -> Diagnostic {
        let mark = node.mark
        return Diagnostic(message, at: SourceLocation(line: mark?.line ?? 1, column: mark?.column ?? 1, offset: 0), in: file)
    }

    func origin(_ node: Node) -> String { "\(file.path):\(node.mark?.line ?? 1)" }

    /// Counts one node against the budget.
    mutating func spend(_ node: Node, text: Int = 0) throws(Diagnostic) {
        nodes += 1
        characters += text
        if nodes > Self.nodeBudget || characters > Self.textBudget {
            throw located(
                "the YAML expands to more than \(Self.nodeBudget) values or \(Self.textBudget >> 20) MiB of text"
                    + " (aliases repeat what they point to; an alias bomb?)", node)
        }
    }

    /// A string the file names something with (a host, a group, a variable): no control characters.
    mutating func name(_ node: Node, what: String) throws(Diagnostic) -> String {
        try spend(node)
        guard case .scalar(let scalar) = node else { throw located("\(what) must be a string", node) }
        if let bad = InventoryLimits.controlCharacter(in: scalar.string, allowLineBreaks: false) {
            throw located("\(what) holds the control character \(bad); names cannot", node)
        }
        return scalar.string
    }

    /// A variable's value, typed as YAML 1.1 types plain scalars (quoted ones stay strings).
    mutating func value(_ node: Node) throws(Diagnostic) -> InventoryValue {
        switch node {
        case .scalar(let scalar):
            try spend(node, text: scalar.string.utf8.count)
            if scalar.tag.description.hasPrefix("!vault") {
                throw located("a vault-encrypted value: runbook cannot decrypt Ansible Vault; set the value with -e or RUNBOOK_SECRET_<name>", node)
            }
            if let bad = InventoryLimits.controlCharacter(in: scalar.string, allowLineBreaks: true) {
                throw located("the value holds the control character \(bad)", node)
            }
            guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
            return Self.plainScalar(scalar.string)
        case .sequence(let sequence):
            try spend(node)
            var items: [InventoryValue] = []
            for item in sequence { items.append(try value(item)) }
            return .list(items)
        case .mapping(let mapping):
            try spend(node)
            var entries: [String: InventoryValue] = [:]
            for (key, item) in mapping {
                try spend(key, text: key.string?.utf8.count ?? 0)
                entries[key.string ?? ""] = try value(item)
            }
            return .map(entries)
        case .alias:
            try spend(node)
            return .null
        }
    }

    /// A plain `~`, `null` or empty scalar (an empty group or host entry).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// PyYAML's YAML 1.1 resolver, which Ansible uses: `yes`/`on` are booleans, `010` is octal, `1e3`
    /// (no dot) is a string, `1_000` is an integer. Done by hand: Yams' regular expressions made a
    /// 10,000-host inventory take half a second.
    static func plainScalar(_ text: String) -> InventoryValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        default: break
        }
        guard let first = text.unicodeScalars.first, "0123456789+-.".unicodeScalars.contains(first) else { return .string(text) }
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        func signed(_ value: Int) -> InventoryValue { .int(negative ? -value : value) }
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        let clean = String(body.filter { $0 != "_" })
        if body.hasPrefix("0b"), body.count > 2, body.dropFirst(2).allSatisfy({ $0 == "0" || $0 == "1" || $0 == "_" }) {
            return Int(clean.dropFirst(2), radix: 2).map(signed) ?? .string(text)
        }
        if body.hasPrefix("0x"), body.count > 2, body.dropFirst(2).allSatisfy({ $0.isHexDigit || $0 == "_" }) {
            return Int(clean.dropFirst(2), radix: 16).map(signed) ?? .string(text)
        }
        if body.first == "0", body.count > 1, body.dropFirst().allSatisfy({ ("0"..."7").contains($0) || $0 == "_" }) {
            return Int(clean.dropFirst(), radix: 8).map(signed) ?? .string(text)
        }
        if body == "0" { return .int(0) }
        if let head = body.first, head != "0", isDigit(head), body.allSatisfy({ isDigit($0) || $0 == "_" }) {
            return Int(clean).map(signed) ?? .string(text)
        }
        if let value = sexagesimal(body), let head = body.first, head != "0" {
            if case .int(let whole) = value { return signed(whole) }
        }
        return float(body, negative: negative, signed: body.count != text.count) ?? .string(text)
    }

    /// `1:30` (base 60), as YAML 1.1 reads it.
    private static func sexagesimal(_ body: Substring) -> InventoryValue? {
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count > 1, let head = parts.first, !head.isEmpty, head.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" }) else {
            return nil
        }
        var total = Int(head.filter { $0 != "_" }) ?? 0
        for part in parts.dropFirst() {
            guard (1...2).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), let digit = Int(part), digit < 60 else {
                return nil
            }
            total = total * 60 + digit
        }
        return .int(total)
    }

    /// `[0-9][0-9_]*.[0-9_]*([eE][-+][0-9]+)?` or `.[0-9_]+(...)`: a dot is required, as in PyYAML.
    private static func float(_ body: Substring, negative: Bool, signed: Bool) -> InventoryValue? {
        if [".nan", ".NaN", ".NAN"].contains(body), !negative { return .double(.nan) }
        guard let dot = body.firstIndex(of: ".") else { return nil }
        let whole = body[..<dot]
        var fraction = body[body.index(after: dot)...]
        var exponent: Substring = ""
        if let e = fraction.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = fraction[fraction.index(after: e)...]
            fraction = fraction[..<e]
            guard let sign = exponent.first, sign == "+" || sign == "-", exponent.count > 1,
                exponent.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })
            else { return nil }
        }
        let digitsOrUnderscore: (Substring) -> Bool = { $0.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "_" } }
        guard digitsOrUnderscore(whole), digitsOrUnderscore(fraction) else { return nil }
        if whole.isEmpty {
            guard !signed, !fraction.isEmpty, fraction.first != "_" else { return nil }
        } else if let head = whole.first, !(head.isASCII && head.isNumber) {
            return nil
        }
        let text = String((whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction)).filter { $0 != "_" }
        guard let value = Double(text + (exponent.isEmpty ? "" : "e" + exponent)) else { return nil }
        return .double(negative ? -value : value)
    }
}
