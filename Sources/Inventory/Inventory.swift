/// A host of the inventory, with the variables set on it directly and the groups that list it.
public struct Host: Sendable, Hashable {
    public var name: String
    /// Variables set on the host in inventory files (not host_vars/).
    public var variables: [String: InventoryValue]
    /// Where each of `variables` was set (`path:line`), for messages.
    public var origins: [String: String]
    /// Groups that list this host directly, in the order they were read.
    public var groups: [String]

    public init(name: String, variables: [String: InventoryValue] = [:], groups: [String] = [], origins: [String: String] = [:]) {
        self.name = name
        self.variables = variables
        self.groups = groups
        self.origins = origins
    }
}

/// A group of hosts: its own variables, child groups and directly listed hosts.
public struct Group: Sendable, Hashable {
    public var name: String
    public var variables: [String: InventoryValue] = [:]
    public var origins: [String: String] = [:]
    public var children: [String] = []
    public var hosts: [String] = []
    /// `ansible_group_priority`: orders groups of one depth (higher wins); not a variable, as in Ansible.
    public var priority = 1

    public init(name: String) { self.name = name }
}

/// Variables read from one group_vars/ and host_vars/ pair, beside one inventory source.
public struct VarsTree: Sendable {
    /// The folder holding group_vars/ and host_vars/.
    public var folder: String
    public var groups: [String: VariableSet] = [:]
    public var hosts: [String: VariableSet] = [:]

    public init(folder: String) { self.folder = folder }
}

/// Hosts and groups as Ansible reads them, in file order.
public struct Inventory: Sendable {
    /// Where the inventory was read from, for messages.
    public var source: String
    public private(set) var hosts: [Host] = []
    public private(set) var groups: [String: Group] = [:]
    /// Group names in the order they appear.
    public private(set) var groupOrder: [String] = []
    /// group_vars/ and host_vars/ of each source, in the order of the sources.
    public var varsTrees: [VarsTree] = []
    /// Settings from the command line (`-u`, `-b`) below every inventory variable, as Ansible ranks them.
    public var commandLineDefaults: [String: InventoryValue] = [:]
    private var hostIndex: [String: Int] = [:]
    /// Membership of hosts in groups, so adding 10,000 hosts stays linear.
    private var groupMembers: [String: Set<String>] = [:]
    private(set) var parents: [String: [String]] = [:]
    private(set) var depths: [String: Int] = [:]

    public init(source: String) {
        self.source = source
        ensureGroup("all")
        ensureGroup("ungrouped")
        addChild("ungrouped", to: "all")
    }

    /// An inventory with only the controller itself, for `--hosts local` without a file.
    public static func localOnly() -> Inventory {
        var inventory = Inventory(source: "(no inventory)")
        inventory.finish()
        return inventory
    }

    public func host(named name: String) -> Host? { hostIndex[name].map { hosts[$0] } }

    public mutating func ensureGroup(_ name: String) {
        if groups[name] == nil {
            groups[name] = Group(name: name)
            groupOrder.append(name)
        }
    }

    /// Adds a host to a group (creating both as needed); variables merge, later ones win.
    public mutating func addHost(
        _ name: String, to group: String, variables: [String: InventoryValue] = [:], origins: [String: String] = [:]
    ) {
        ensureGroup(group)
        if let index = hostIndex[name] {
            hosts[index].variables.merge(variables) { _, new in new }
            hosts[index].origins.merge(origins) { _, new in new }
            if !hosts[index].groups.contains(group) { hosts[index].groups.append(group) }
        } else {
            hostIndex[name] = hosts.count
            hosts.append(Host(name: name, variables: variables, groups: [group], origins: origins))
        }
        if groupMembers[group, default: []].insert(name).inserted { groups[group]?.hosts.append(name) }
    }

    public mutating func addChild(_ child: String, to parent: String) {
        ensureGroup(parent)
        ensureGroup(child)
        if groups[parent]?.children.contains(child) == false { groups[parent]?.children.append(child) }
    }

    public mutating func setVariables(_ variables: [String: InventoryValue], onGroup group: String, origins: [String: String] = [:]) {
        ensureGroup(group)
        for (name, value) in variables {
            if name == "ansible_group_priority" {
                groups[group]?.priority = value.intValue ?? 1
                continue
            }
            groups[group]?.variables[name] = value
            if let origin = origins[name] { groups[group]?.origins[name] = origin }
        }
    }

    private mutating func removeHost(_ name: String, fromGroup group: String) {
        guard groupMembers[group]?.remove(name) != nil else { return }
        groups[group]?.hosts.removeAll { $0 == name }
        if let index = hostIndex[name] { hosts[index].groups.removeAll { $0 == group } }
    }

    /// Ansible's reconcile step: every group without a parent goes under `all`; hosts in no group but
    /// `all` go to `ungrouped`, and leave it once another group lists them.
    public mutating func finish() {
        let childGroups = Set(groups.values.flatMap(\.children))
        for name in groupOrder where name != "all" && !childGroups.contains(name) {
            addChild(name, to: "all")
        }
        computeDepths()
        for index in hosts.indices {
            let name = hosts[index].name
            let others = ancestors(ofGroups: hosts[index].groups).subtracting(["all", "ungrouped"])
            if hosts[index].groups.contains("ungrouped") {
                if !others.isEmpty { removeHost(name, fromGroup: "ungrouped") }
            } else if others.isEmpty {
                addHost(name, to: "ungrouped")
            }
        }
    }

    private mutating func computeDepths() {
        var parents: [String: [String]] = [:]
        for name in groupOrder {
            for child in groups[name]?.children ?? [] { parents[child, default: []].append(name) }
        }
        var depths: [String: Int] = ["all": 0]
        func depthOf(_ name: String, _ path: Set<String>) -> Int {
            if let known = depths[name] { return known }
            let up = (parents[name] ?? []).filter { !path.contains($0) }
            let value = (up.map { depthOf($0, path.union([name])) }.max() ?? 0) + 1
            depths[name] = value
            return value
        }
        for name in groupOrder { _ = depthOf(name, []) }
        self.parents = parents
        self.depths = depths
    }

    /// The given groups and all their ancestors.
    func ancestors(ofGroups start: [String]) -> Set<String> {
        var result = Set<String>()
        var queue = start
        while let group = queue.popLast() {
            guard result.insert(group).inserted else { continue }
            queue.append(contentsOf: parents[group] ?? [])
        }
        return result
    }

    /// Every group of a host (its own and their ancestors) except `all`, sorted as Ansible merges them:
    /// by depth, then `ansible_group_priority`, then name.
    public func sortedGroups(of host: Host) -> [String] {
        ancestors(ofGroups: host.groups).subtracting(["all"]).sorted { left, right in
            let a = (depths[left] ?? 1, groups[left]?.priority ?? 1)
            let b = (depths[right] ?? 1, groups[right]?.priority ?? 1)
            return a != b ? a < b : left < right
        }
    }

    /// Ansible's `group_names`: every group of the host but `all`, sorted by name.
    public func groupNames(of host: Host) -> [String] {
        ancestors(ofGroups: host.groups).subtracting(["all"]).sorted()
    }

    /// Every group a host belongs to with its depth below `all`, weakest first.
    public func ancestry(of host: Host) -> [(group: String, depth: Int)] {
        [("all", 0)] + sortedGroups(of: host).map { ($0, depths[$0] ?? 1) }
    }

    /// The hosts of a group as Ansible lists them: the group's own, then its children's level by level.
    public func hosts(inGroup name: String) -> [String] {
        guard groups[name] != nil else { return [] }
        var ordered = [name] + (groups[name]?.children ?? [])
        var seen = Set(ordered)
        var level = ordered
        while !level.isEmpty {
            var next: [String] = []
            for group in level {
                for child in groups[group]?.children ?? [] where seen.insert(child).inserted {
                    next.append(child)
                    ordered.append(child)
                }
            }
            level = next
        }
        var result: [String] = []
        var listed = Set<String>()
        for group in ordered {
            for host in groups[group]?.hosts ?? [] where listed.insert(host).inserted { result.append(host) }
        }
        return result
    }
}
