/// A host of the inventory, with the variables set on it directly and the groups that list it.
public struct Host: Sendable, Hashable {
    public var name: String
    public var variables: [String: InventoryValue]
    /// Groups that list this host directly, in the order they were read.
    public var groups: [String]

    public init(name: String, variables: [String: InventoryValue] = [:], groups: [String] = []) {
        self.name = name
        self.variables = variables
        self.groups = groups
    }
}

/// A group of hosts: its own variables, child groups and directly listed hosts.
public struct Group: Sendable, Hashable {
    public var name: String
    public var variables: [String: InventoryValue] = [:]
    public var children: [String] = []
    public var hosts: [String] = []

    public init(name: String) { self.name = name }
}

/// Hosts and groups as Ansible reads them, in file order.
public struct Inventory: Sendable {
    /// Where the inventory was read from, for messages.
    public var source: String
    public private(set) var hosts: [Host] = []
    public private(set) var groups: [String: Group] = [:]
    /// Group names in the order they appear.
    public private(set) var groupOrder: [String] = []
    private var hostIndex: [String: Int] = [:]
    /// Membership of hosts in groups, so adding 10,000 hosts stays linear.
    private var groupMembers: [String: Set<String>] = [:]

    public init(source: String) {
        self.source = source
        ensureGroup("all")
        ensureGroup("ungrouped")
    }

    /// An inventory with only the controller itself, for `--hosts local` without a file.
    public static func localOnly() -> Inventory { Inventory(source: "(no inventory)") }

    public func host(named name: String) -> Host? { hostIndex[name].map { hosts[$0] } }

    public mutating func ensureGroup(_ name: String) {
        if groups[name] == nil {
            groups[name] = Group(name: name)
            groupOrder.append(name)
        }
    }

    /// Adds a host to a group (creating both as needed); variables merge, later ones win.
    public mutating func addHost(_ name: String, to group: String, variables: [String: InventoryValue] = [:]) {
        ensureGroup(group)
        if let index = hostIndex[name] {
            hosts[index].variables.merge(variables) { _, new in new }
            if !hosts[index].groups.contains(group) { hosts[index].groups.append(group) }
        } else {
            hostIndex[name] = hosts.count
            hosts.append(Host(name: name, variables: variables, groups: [group]))
        }
        if groupMembers[group, default: []].insert(name).inserted { groups[group]?.hosts.append(name) }
    }

    public mutating func addChild(_ child: String, to parent: String) {
        ensureGroup(parent)
        ensureGroup(child)
        if groups[parent]?.children.contains(child) == false { groups[parent]?.children.append(child) }
    }

    public mutating func setVariables(_ variables: [String: InventoryValue], onGroup group: String) {
        ensureGroup(group)
        groups[group]?.variables.merge(variables) { _, new in new }
    }

    /// Puts hosts that belong to no group but `all` into `ungrouped`, and every top group under `all`.
    mutating func finish() {
        let childGroups = Set(groups.values.flatMap(\.children))
        for name in groupOrder where name != "all" && !childGroups.contains(name) {
            if groups["all"]?.children.contains(name) == false { groups["all"]?.children.append(name) }
        }
        for index in hosts.indices where hosts[index].groups.allSatisfy({ $0 == "all" }) {
            let name = hosts[index].name
            hosts[index].groups.removeAll { $0 == "all" }
            if groupMembers["all"]?.remove(name) != nil { groups["all"]?.hosts.removeAll { $0 == name } }
            hosts[index].groups.append("ungrouped")
            if groupMembers["ungrouped", default: []].insert(name).inserted { groups["ungrouped"]?.hosts.append(name) }
        }
    }

    /// Every group a host belongs to, directly or through children, with its depth below `all`.
    public func ancestry(of host: Host) -> [(group: String, depth: Int)] {
        var parents: [String: [String]] = [:]
        for group in groups.values {
            for child in group.children { parents[child, default: []].append(group.name) }
        }
        var depth: [String: Int] = [:]
        func depthOf(_ name: String, _ seen: Set<String>) -> Int {
            if let known = depth[name] { return known }
            if name == "all" { return 0 }
            let up = (parents[name] ?? ["all"]).filter { !seen.contains($0) }
            let value = (up.map { depthOf($0, seen.union([name])) }.max() ?? 0) + 1
            depth[name] = value
            return value
        }
        var result: [String: Int] = [:]
        var queue = host.groups
        while let group = queue.popLast() {
            if result[group] != nil { continue }
            result[group] = depthOf(group, [])
            queue.append(contentsOf: parents[group] ?? [])
        }
        result["all"] = 0
        return result.map { ($0.key, $0.value) }.sorted { ($0.depth, $0.group) < ($1.depth, $1.group) }
    }

    /// The host's variables merged as Ansible does: `all`, then groups by depth (deeper wins, ties by
    /// name), then the host's own.
    public func variables(of host: Host) -> [String: InventoryValue] {
        var merged: [String: InventoryValue] = [:]
        for (group, _) in ancestry(of: host) {
            merged.merge(groups[group]?.variables ?? [:]) { _, new in new }
        }
        merged.merge(host.variables) { _, new in new }
        return merged
    }

    /// All hosts of a group, through its children, in inventory order.
    public func hosts(inGroup name: String) -> [String] {
        var names = Set<String>()
        var seen = Set<String>()
        var queue = [name]
        while let group = queue.popLast() {
            guard seen.insert(group).inserted, let entry = groups[group] else { continue }
            names.formUnion(entry.hosts)
            queue.append(contentsOf: entry.children)
        }
        if name == "all" { return hosts.map(\.name) }
        return hosts.map(\.name).filter { names.contains($0) }
    }
}
