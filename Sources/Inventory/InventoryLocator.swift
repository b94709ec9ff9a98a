import Foundation

/// Where the inventory comes from: `-i` (several), `$RUNBOOK_INVENTORY`, `$ANSIBLE_INVENTORY`,
/// ansible.cfg's `[defaults] inventory`, then `inventory/hosts.*` beside the runbook or here.
extension InventoryLoader {
    /// The sources the search order picks, with where they came from; empty when there is none.
    public static func locate(explicit: [String], runbookPath: String?, environment: [String: String], currentDirectory: String)
        -> (paths: [String], origin: String)
    {
        if !explicit.isEmpty { return (explicit, "-i") }
        if let value = environment["RUNBOOK_INVENTORY"], !value.isEmpty { return ([value], "RUNBOOK_INVENTORY") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        if let value = environment["ANSIBLE_INVENTORY"], !value.isEmpty {
            return (pathList(value, base: currentDirectory, home: home), "ANSIBLE_INVENTORY")
        }
        if let config = ansibleConfig(environment: environment, currentDirectory: currentDirectory, home: home),
            let value = AnsibleConfig.value(section: "defaults", key: "inventory", in: config), !value.isEmpty
        {
            return (pathList(value, base: parent(of: config), home: home), config)
        }
        var folders: [String] = []
        if let runbookPath {
            // Absolute first: Foundation's deletingLastPathComponent traps on "." (swift-corelibs-foundation).
            let absolute = runbookPath.hasPrefix("/") ? runbookPath : currentDirectory + "/" + runbookPath
            let base = parent(of: absolute)
            folders.append(base)
            // runbooks/x.rb usually sits beside inventory/, one level up.
            folders.append(parent(of: base))
        }
        folders.append(currentDirectory)
        for folder in folders {
            for name in ["inventory/hosts.yml", "inventory/hosts.yaml", "inventory/hosts.ini"] {
                let candidate = (folder.hasSuffix("/") ? folder : folder + "/") + name
                if FileManager.default.fileExists(atPath: candidate) { return ([candidate], "the search for inventory/hosts.*") }
            }
        }
        return ([], "")
    }

    /// The single source the search order picks, or nil (for callers that take one file).
    public static func locate(explicit: String?, runbookPath: String?, environment: [String: String], currentDirectory: String) -> String? {
        locate(explicit: explicit.map { [$0] } ?? [], runbookPath: runbookPath, environment: environment, currentDirectory: currentDirectory)
            .paths.first
    }

    /// Ansible's `pathlist`: comma-separated, `~` expanded, relative to `base`.
    static func pathList(_ value: String, base: String, home: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty }.map { written in
            var path = written
            while path.hasPrefix("./") { path.removeFirst(2) }
            if path == "~" { return home }
            if path.hasPrefix("~/") { return home + path.dropFirst() }
            if path.hasPrefix("/") { return path }
            return (base.hasSuffix("/") ? base : base + "/") + path
        }
    }

    /// The ansible.cfg Ansible would read: `$ANSIBLE_CONFIG`, `./ansible.cfg` (unless the folder is
    /// world-writable, as Ansible refuses it), `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`.
    static func ansibleConfig(environment: [String: String], currentDirectory: String, home: String) -> String? {
        var candidates: [String] = []
        if var explicit = environment["ANSIBLE_CONFIG"], !explicit.isEmpty {
            if explicit.hasPrefix("~/") { explicit = home + explicit.dropFirst() }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: explicit, isDirectory: &isFolder), isFolder.boolValue { explicit += "/ansible.cfg" }
            candidates.append(explicit)
        }
        var info = stat()
        if stat(currentDirectory, &info) == 0, info.st_mode & S_IWOTH == 0 { candidates.append(currentDirectory + "/ansible.cfg") }
        candidates += [home + "/.ansible.cfg", "/etc/ansible/ansible.cfg"]
        return candidates.first { FileManager.default.isReadableFile(atPath: $0) }
    }
}

/// Reads one value from an ansible.cfg as Python's configparser does (`key = value` or `key: value`,
/// `#` and `;` comment lines, `;` after a space starts an inline comment).
enum AnsibleConfig {
    static func value(section wantedSection: String, key wantedKey: String, in path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), data.count < InventoryLimits.maxFileBytes,
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        var section = ""
        var result: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw).trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters()
                continue
            }
            guard section == wantedSection, let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = String(line[..<separator]).trimmingCharacters().lowercased()
            guard key == wantedKey else { continue }
            var value = String(line[line.index(after: separator)...])
            if let comment = value.range(of: " ;") ?? value.range(of: "\t;") { value = String(value[..<comment.lowerBound]) }
            result = value.trimmingCharacters()
        }
        return result
    }
}
