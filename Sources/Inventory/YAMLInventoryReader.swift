import RunbookLanguage
import Yams

/// Reads Ansible's YAML inventory format (`all:`, `children:`, `hosts:`, `vars:`) as ansible-core's
/// `yaml` plugin does.
public enum YAMLInventoryReader {
    /// Parses the text; errors carry the file, line and column.
    public static func read(_ text: String, path: String) throws(Diagnostic) -> Inventory {
        var inventory = Inventory(source: path)
        try read(SourceFile(path: path, text: text), into: &inventory)
        inventory.finish()
        return inventory
    }

    /// Adds one file's hosts and groups to an inventory.
    static func read(_ file: SourceFile, into inventory: inout Inventory) throws(Diagnostic) {
        guard let root = try YAMLValues.compose(file) else { return }
        var reader = Reader(values: YAMLValues(file: file))
        guard case .mapping(let mapping) = root else {
            if YAMLValues.isNull(root) { return }
            throw reader.values.located("the inventory must be a mapping of groups (`all:` at the top)", root)
        }
        for (key, _) in mapping where key.string == "plugin" {
            throw reader.values.located(
                "this is the configuration of an inventory plugin (`plugin:`), which runbook does not run: export the hosts with `ansible-inventory -i FILE --list -y > hosts.yml` and use that file",
                key)
        }
        for (key, value) in mapping {
            let name = try reader.values.name(key, what: "a group name")
            try reader.readGroup(name, value, into: &inventory, depth: 0)
        }
    }

    private struct Reader {
        var values: YAMLValues

        mutating func readGroup(_ name: String, _ node: Node, into inventory: inout Inventory, depth: Int) throws(Diagnostic) {
            guard depth < 200 else { throw values.located("groups are nested more than 200 deep", node) }
            inventory.ensureGroup(name)
            if YAMLValues.isNull(node) { return }
            guard case .mapping(let mapping) = node else {
                throw values.located("the group `\(name)` must be a mapping with `hosts:`, `vars:` or `children:`", node)
            }
            for (key, value) in mapping {
                try values.spend(key)
                switch key.string {
                case "hosts":
                    try readHosts(of: name, value, into: &inventory)
                case "vars":
                    let (variables, origins) = try self.variables(value, owner: "the group `\(name)`")
                    inventory.setVariables(variables, onGroup: name, origins: origins)
                case "children":
                    if YAMLValues.isNull(value) { continue }
                    if case .scalar = value {
                        let child = try values.name(value, what: "a group name")
                        inventory.addChild(child, to: name)
                        continue
                    }
                    guard case .mapping(let children) = value else {
                        throw values.located("`children:` of `\(name)` must be a mapping of group names", value)
                    }
                    for (childKey, childValue) in children {
                        let child = try values.name(childKey, what: "a group name")
                        inventory.addChild(child, to: name)
                        try readGroup(child, childValue, into: &inventory, depth: depth + 1)
                    }
                default:
                    let word = key.string ?? "?"
                    throw values.located(
                        "unknown key `\(word):` in the group `\(name)`" + Suggestion.hint(for: word, in: ["hosts", "vars", "children"])
                            + " (a group holds `hosts:`, `vars:` and `children:`)", key)
                }
            }
        }

        mutating func readHosts(of group: String, _ node: Node, into inventory: inout Inventory) throws(Diagnostic) {
            if YAMLValues.isNull(node) { return }
            var entries: [(Node, Node?)] = []
            switch node {
            case .scalar: entries = [(node, nil)]
            case .mapping(let hosts): entries = hosts.map { ($0.key, $0.value) }
            default:
                throw values.located("`hosts:` of `\(group)` must be a mapping of host names (a list is not Ansible's format)", node)
            }
            for (hostKey, hostValue) in entries {
                var pattern = try values.name(hostKey, what: "a host name")
                var (variables, origins) =
                    try hostValue.map { node throws(Diagnostic) in try self.variables(node, owner: "the host `\(pattern)`") }
                    ?? ([:], [:])
                if pattern.hasSuffix(":") { throw values.located("`\(pattern)` ends in `:`, which is kept for a port (`host:2222`)", hostKey) }
                if let port = INIInventoryReader.portSuffix(of: &pattern) {
                    variables["ansible_port"] = variables["ansible_port"] ?? .int(port)
                    origins["ansible_port"] = origins["ansible_port"] ?? values.origin(hostKey)
                }
                let names: [String]
                do {
                    names = try HostRange.expand(pattern)
                } catch {
                    throw values.located(error.description, hostKey)
                }
                for host in names { inventory.addHost(host, to: group, variables: variables, origins: origins) }
            }
        }

        mutating func variables(_ node: Node, owner: String) throws(Diagnostic) -> ([String: InventoryValue], [String: String]) {
            if YAMLValues.isNull(node) { return ([:], [:]) }
            guard case .mapping(let mapping) = node else { throw values.located("the variables of \(owner) must be a mapping", node) }
            var result: [String: InventoryValue] = [:]
            var origins: [String: String] = [:]
            for (key, value) in mapping {
                let name = try values.name(key, what: "a variable name")
                result[name] = try values.value(value)
                origins[name] = values.origin(key)
            }
            return (result, origins)
        }
    }

    /// A plain `~`, `null` or empty scalar (an empty group or host entry).
    static func isNull(_ node: Node) -> Bool { YAMLValues.isNull(node) }

    /// Types a plain scalar as YAML 1.1 does for Ansible.
    static func plainScalar(_ text: String) -> InventoryValue { YAMLValues.plainScalar(text) }
}
