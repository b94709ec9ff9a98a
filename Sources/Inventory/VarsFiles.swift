import Foundation
import RunbookLanguage
import Yams

/// group_vars/ and host_vars/ beside an inventory source, found as ansible-core's `host_group_vars`
/// plugin finds them: `NAME`, `NAME.yml`, `NAME.yaml` or `NAME.json` (the first that exists), and when
/// that is a folder, every file in it (sorted, recursively) without an extension or with one of those.
enum VarsFiles {
    static let extensions = ["", ".yml", ".yaml", ".json"]

    static func read(folder: String, for inventory: Inventory, budget: inout Int) throws(Diagnostic) -> VarsTree {
        var tree = VarsTree(folder: folder)
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        if isFolder(base + "group_vars") {
            for group in inventory.groupOrder {
                let files = try find(base + "group_vars", name: group, budget: &budget)
                if !files.isEmpty { tree.groups[group] = try load(files) }
            }
        }
        if isFolder(base + "host_vars") {
            for host in inventory.hosts where !host.name.hasPrefix("/") {
                let files = try find(base + "host_vars", name: host.name, budget: &budget)
                if !files.isEmpty { tree.hosts[host.name] = try load(files) }
            }
        }
        return tree
    }

    static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    static func find(_ folder: String, name: String, budget: inout Int) throws(Diagnostic) -> [String] {
        for ext in extensions {
            let path = folder + "/" + name + ext
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue { return try files(in: path, budget: &budget, depth: 0) }
            return [path]
        }
        return []
    }

    private static func files(in folder: String, budget: inout Int, depth: Int) throws(Diagnostic) -> [String] {
        let start = SourceLocation(line: 1, column: 1, offset: 0)
        guard depth < 32, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var found: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasSuffix("~") {
            budget -= 1
            guard budget >= 0 else {
                throw Diagnostic(path: folder, location: start, message: "more than \(InventoryLimits.maxFiles) inventory files", sourceLine: nil)
            }
            let path = folder + "/" + name
            let ext = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : String(name[$0...]) } ?? ""
            if isFolder(path) {
                if ext.isEmpty { found += try files(in: path, budget: &budget, depth: depth + 1) }
            } else if extensions.contains(ext) {
                found.append(path)
            }
        }
        return found
    }

    /// Each file's top-level mapping, merged in order (later files win).
    static func load(_ paths: [String]) throws(Diagnostic) -> VariableSet {
        var set = VariableSet()
        for path in paths {
            let file = try InventoryLimits.read(path: path, what: "the vars file")
            let start = SourceLocation(line: 1, column: 1, offset: 0)
            if file.text.hasPrefix("$ANSIBLE_VAULT;") {
                throw Diagnostic(
                    "the vars file is vault-encrypted: runbook cannot decrypt Ansible Vault; set secrets with RUNBOOK_SECRET_<name> or --set-file",
                    at: start, in: file)
            }
            guard let root = try YAMLValues.compose(file), !YAMLValues.isNull(root) else { continue }
            var values = YAMLValues(file: file)
            guard case .mapping(let mapping) = root else { throw values.located("a vars file must be a mapping of variable names", root) }
            for (key, value) in mapping {
                let name = try values.name(key, what: "a variable name")
                set.values[name] = try values.value(value)
                set.origins[name] = values.origin(key)
            }
        }
        return set
    }
}

/// `-e @vars.yml` and `-e '{"name": "value"}'`: variables given on the command line as YAML or JSON.
public enum ExtraVars {
    public static func load(path: String) throws(Diagnostic) -> [String: InventoryValue] {
        try VarsFiles.load([path]).values
    }

    public static func parse(_ text: String) throws(Diagnostic) -> [String: InventoryValue] {
        let file = SourceFile(path: "(-e)", text: text)
        guard let root = try YAMLValues.compose(file), !YAMLValues.isNull(root) else { return [:] }
        var values = YAMLValues(file: file)
        guard case .mapping(let mapping) = root else { throw values.located("-e takes name=value, @FILE or a mapping", root) }
        var result: [String: InventoryValue] = [:]
        for (key, value) in mapping { result[try values.name(key, what: "a variable name")] = try values.value(value) }
        return result
    }
}
