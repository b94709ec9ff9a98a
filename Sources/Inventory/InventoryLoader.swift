import Foundation
import RunbookLanguage

/// Reads inventory sources as ansible-core does: files (YAML or INI), folders of them, `host1,host2,`
/// lists, several merged in order; then group_vars/ and host_vars/ beside each source.
public enum InventoryLoader {
    /// Extensions ansible-core skips in inventory folders (`INVENTORY_IGNORE_EXTS`; `.ini` among them).
    static let ignoredExtensions = [".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"]

    /// The folder holding an absolute path ("/" for "/x").
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// Reads one inventory file or folder.
    public static func load(path: String) throws(Diagnostic) -> Inventory { try load(paths: [path]) }

    /// Reads every source into one inventory, later sources adding to earlier ones, as several `-i` do.
    public static func load(paths: [String]) throws(Diagnostic) -> Inventory {
        var inventory = Inventory(source: paths.joined(separator: ", "))
        var budget = InventoryLimits.maxFiles
        var folders: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            if !exists, path.contains(",") {
                try readHostList(path, into: &inventory)
                continue
            }
            guard exists else {
                throw Diagnostic(path: path, location: SourceLocation(line: 1, column: 1, offset: 0), message: "the inventory does not exist", sourceLine: nil)
            }
            if isFolder.boolValue {
                try readFolder(path, into: &inventory, budget: &budget, depth: 0)
                folders.append(path)
            } else {
                try readFile(path, into: &inventory)
                folders.append(parent(of: path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path))
            }
        }
        inventory.finish()
        for folder in folders {
            inventory.varsTrees.append(try VarsFiles.read(folder: folder, for: inventory, budget: &budget))
        }
        return inventory
    }

    /// `-i 'web1,web2:2222,'`: hosts named on the command line, in `ungrouped`.
    static func readHostList(_ list: String, into inventory: inout Inventory) throws(Diagnostic) {
        let file = SourceFile(path: "(host list)", text: list)
        for entry in list.split(separator: ",") {
            var name = String(entry).trimmingCharacters()
            guard !name.isEmpty else { continue }
            if let bad = InventoryLimits.controlCharacter(in: name, allowLineBreaks: false) {
                throw Diagnostic("the host list holds the control character \(bad)", at: SourceLocation(line: 1, column: 1, offset: 0), in: file)
            }
            var variables: [String: InventoryValue] = [:]
            if let port = INIInventoryReader.portSuffix(of: &name) { variables["ansible_port"] = .int(port) }
            inventory.addHost(name, to: "ungrouped", variables: variables)
        }
    }

    static func readFolder(_ folder: String, into inventory: inout Inventory, budget: inout Int, depth: Int) throws(Diagnostic) {
        let start = SourceLocation(line: 1, column: 1, offset: 0)
        guard depth < 32 else { throw Diagnostic(path: folder, location: start, message: "inventory folders nest too deep", sourceLine: nil) }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw Diagnostic(path: folder, location: start, message: "the inventory folder cannot be read", sourceLine: nil)
        }
        for name in names.sorted() {
            if name.hasPrefix(".") || ["host_vars", "group_vars", "vars_plugins"].contains(name) { continue }
            if ignoredExtensions.contains(where: { name.hasSuffix($0) }) { continue }
            budget -= 1
            guard budget >= 0 else {
                throw Diagnostic(path: folder, location: start, message: "more than \(InventoryLimits.maxFiles) inventory files", sourceLine: nil)
            }
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                try readFolder(path, into: &inventory, budget: &budget, depth: depth + 1)
            } else {
                try readFile(path, into: &inventory)
            }
        }
    }

    /// Reads one file in the format ansible-core would accept it in.
    static func readFile(_ path: String, into inventory: inout Inventory) throws(Diagnostic) {
        let file = try InventoryLimits.read(path: path, what: "the inventory")
        let start = SourceLocation(line: 1, column: 1, offset: 0)
        if file.text.hasPrefix("#!") {
            throw Diagnostic(
                "an executable inventory (a script): runbook does not run inventory scripts; save its output with `ansible-inventory -i \(path) --list -y > hosts.yml` and use that file",
                at: start, in: file)
        }
        if file.text.hasPrefix("$ANSIBLE_VAULT;") {
            throw Diagnostic("the inventory is vault-encrypted: runbook cannot decrypt Ansible Vault", at: start, in: file)
        }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".toml") { throw Diagnostic("TOML inventories are not supported: use YAML or INI", at: start, in: file) }
        let extensionIsYAML = [".yml", ".yaml", ".json"].contains { lowered.hasSuffix($0) }
        if extensionIsYAML {
            try YAMLInventoryReader.read(file, into: &inventory)
        } else if mayBeYAML(path), looksLikeYAMLInventory(file) {
            try YAMLInventoryReader.read(file, into: &inventory)
        } else {
            try INIInventoryReader.read(file, into: &inventory)
        }
    }

    /// Ansible's `yaml` plugin takes `.yml`, `.yaml`, `.json` and files without an extension.
    static func mayBeYAML(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return true }
        return false
    }

    /// True when the file parses as YAML into a mapping (else Ansible falls back to the INI plugin).
    static func looksLikeYAMLInventory(_ file: SourceFile) -> Bool {
        guard let root = try? YAMLValues.compose(file) else { return false }
        if case .mapping = root { return true }
        return false
    }

    /// Parses inventory text, choosing the format by extension, else by content.
    public static func parse(_ text: String, path: String) throws(Diagnostic) -> Inventory {
        var inventory = Inventory(source: path)
        let file = SourceFile(path: path, text: text)
        let lowered = path.lowercased()
        if [".yml", ".yaml", ".json"].contains(where: { lowered.hasSuffix($0) }) || (mayBeYAML(path) && looksLikeYAMLInventory(file)) {
            try YAMLInventoryReader.read(file, into: &inventory)
        } else {
            try INIInventoryReader.read(file, into: &inventory)
        }
        inventory.finish()
        return inventory
    }
}
