import Foundation
import RunbookLanguage
import Yams

/// Reads Ansible's YAML inventory format (`all:`, `children:`, `hosts:`, `vars:`).
public enum YAMLInventoryReader {
    /// Parses the text; errors carry the file, line and column.
    public static func read(_ text: String, path: String) throws(Diagnostic) -> Inventory {
        let file = SourceFile(path: path, text: text)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw diagnostic(for: error, file: file)
        } catch {
            throw Diagnostic("cannot read the YAML: \(error)", at: SourceLocation(line: 1, column: 1, offset: 0), in: file)
        }
        var inventory = Inventory(source: path)
        guard let root else { return inventory }
        guard let mapping = root.mapping else {
            throw located("the inventory must be a mapping of groups (`all:` at the top)", root, file)
        }
        for (key, value) in mapping {
            guard let name = key.string else { throw located("a group name must be a string", key, file) }
            try readGroup(name, value, into: &inventory, file: file)
        }
        inventory.finish()
        return inventory
    }

    private static func readGroup(_ name: String, _ node: Node, into inventory: inout Inventory, file: SourceFile) throws(Diagnostic) {
        inventory.ensureGroup(name)
        if Self.isNull(node) { return }
        guard let mapping = node.mapping else {
            throw located("the group `\(name)` must be a mapping with `hosts:`, `vars:` or `children:`", node, file)
        }
        for (key, value) in mapping {
            switch key.string {
            case "hosts":
                if Self.isNull(value) { continue }
                guard let hosts = value.mapping else {
                    throw located("`hosts:` of `\(name)` must be a mapping of host names (a list is not Ansible's format)", value, file)
                }
                for (hostKey, hostValue) in hosts {
                    guard let pattern = hostKey.string else { throw located("a host name must be a string", hostKey, file) }
                    let variables = try variables(hostValue, owner: "the host `\(pattern)`", file: file)
                    let names: [String]
                    do {
                        names = try HostRange.expand(pattern)
                    } catch {
                        throw located(error.description, hostKey, file)
                    }
                    for host in names { inventory.addHost(host, to: name, variables: variables) }
                }
            case "vars":
                inventory.setVariables(try variables(value, owner: "the group `\(name)`", file: file), onGroup: name)
            case "children":
                if Self.isNull(value) { continue }
                guard let children = value.mapping else {
                    throw located("`children:` of `\(name)` must be a mapping of group names", value, file)
                }
                for (childKey, childValue) in children {
                    guard let child = childKey.string else { throw located("a group name must be a string", childKey, file) }
                    inventory.addChild(child, to: name)
                    try readGroup(child, childValue, into: &inventory, file: file)
                }
            default:
                let word = key.string ?? "?"
                throw located(
                    "unknown key `\(word):` in the group `\(name)`" + Suggestion.hint(for: word, in: ["hosts", "vars", "children"])
                        + " (a group holds `hosts:`, `vars:` and `children:`)", key, file)
            }
        }
    }

    private static func variables(_ node: Node, owner: String, file: SourceFile) throws(Diagnostic) -> [String: InventoryValue] {
        if Self.isNull(node) { return [:] }
        guard let mapping = node.mapping else { throw located("the variables of \(owner) must be a mapping", node, file) }
        var result: [String: InventoryValue] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw located("a variable name must be a string", key, file) }
            result[name] = self.value(value)
        }
        return result
    }

    /// A plain `~`, `null` or empty scalar (an empty group or host entry).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Types plain scalars as YAML 1.1 does for Ansible (quoted ones stay strings). Done here rather than
    /// by Yams' regular-expression resolver, which made a 10,000-host inventory take half a second.
    static func value(_ node: Node) -> InventoryValue {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            guard scalar.style == .plain || scalar.style == .any else { return .string(text) }
            return plainScalar(text)
        case .sequence(let sequence): return .list(sequence.map(value))
        case .mapping(let mapping):
            var entries: [String: InventoryValue] = [:]
            for (key, item) in mapping { entries[key.string ?? ""] = value(item) }
            return .map(entries)
        case .alias: return .null
        }
    }

    static func plainScalar(_ text: String) -> InventoryValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
        default: break
        }
        guard let first = text.utf8.first,
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        else { return .string(text) }
        let digits = text.replacingOccurrences(of: "_", with: "")
        if let value = Int(digits) { return .int(value) }
        if digits.hasPrefix("0x"), let value = Int(digits.dropFirst(2), radix: 16) { return .int(value) }
        if digits.hasPrefix("0o"), let value = Int(digits.dropFirst(2), radix: 8) { return .int(value) }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let value = Double(digits) { return .double(value) }
        return .string(text)
    }

    private static func located(_ message: String, _ node: Node, _ file: SourceFile) -> Diagnostic {
        let mark = node.mark
        return Diagnostic(message, at: SourceLocation(line: mark?.line ?? 1, column: mark?.column ?? 1, offset: 0), in: file)
    }

    private static func diagnostic(for error: YamlError, file: SourceFile) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return Diagnostic("invalid YAML: \(problem)", at: SourceLocation(line: mark.line, column: mark.column, offset: 0), in: file)
        default:
            return Diagnostic("invalid YAML: \(error)", at: SourceLocation(line: 1, column: 1, offset: 0), in: file)
        }
    }
}
