import Foundation
import RunbookLanguage

/// Finds and reads the inventory: `--inventory`, then `$RUNBOOK_INVENTORY`, then inventory/hosts.yml or
/// hosts.ini beside the runbook, then in the current folder.
public enum InventoryLoader {
    /// The file the search order picks, or nil when there is none.
    /// The folder holding an absolute path ("/" for "/x").
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    public static func locate(explicit: String?, runbookPath: String?, environment: [String: String], currentDirectory: String)
        -> String?
    {
        if let explicit { return explicit }
        if let fromEnvironment = environment["RUNBOOK_INVENTORY"], !fromEnvironment.isEmpty { return fromEnvironment }
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
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Reads an inventory file in either format.
    public static func load(path: String) throws(Diagnostic) -> Inventory {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw Diagnostic(path: path, location: SourceLocation(line: 1, column: 1, offset: 0), message: "the inventory \(reason)", sourceLine: nil)
        }
        let file: SourceFile
        switch SourceFile.load(path: path, data: Array(data)) {
        case .success(let loaded): file = loaded
        case .failure(let diagnostic): throw diagnostic
        }
        return try parse(file.text, path: path)
    }

    /// Parses inventory text, choosing the format by extension, else by content.
    public static func parse(_ text: String, path: String) throws(Diagnostic) -> Inventory {
        if isYAML(text, path: path) { return try YAMLInventoryReader.read(text, path: path) }
        return try INIInventoryReader.read(text, path: path)
    }

    static func isYAML(_ text: String, path: String) -> Bool {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".yml") || lowered.hasSuffix(".yaml") || lowered.hasSuffix(".json") { return true }
        if lowered.hasSuffix(".ini") { return false }
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            return line.hasSuffix(":") || line == "---" || line.hasPrefix("{")
        }
        return false
    }
}
