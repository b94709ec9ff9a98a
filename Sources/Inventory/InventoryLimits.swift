import Foundation
import RunbookLanguage

/// Bounds that keep a hostile or mistaken inventory from taking unbounded time or memory.
public enum InventoryLimits {
    /// Largest inventory or vars file read (bytes).
    public static let maxFileBytes = 32 << 20
    /// Most hosts one name with ranges may stand for (all its ranges multiplied).
    public static let maxHostsPerName = 100_000
    /// Most files read from inventory folders and group_vars/host_vars trees.
    public static let maxFiles = 10_000

    /// The first control character in the text, described (`NUL`, `U+001B`), or nil. Line breaks and
    /// tabs are allowed in values (certificates, scripts), never in names.
    public static func controlCharacter(in text: String, allowLineBreaks: Bool) -> String? {
        for scalar in text.unicodeScalars {
            let value = scalar.value
            guard value < 0x20 || value == 0x7f || (0x80..<0xa0).contains(value) else { continue }
            if allowLineBreaks, scalar == "\n" || scalar == "\t" || scalar == "\r" { continue }
            if value == 0 { return "NUL" }
            let hex = String(value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return nil
    }

    /// Reads a file an inventory names, refusing one over the size limit before reading it.
    public static func read(path: String, what: String) throws(Diagnostic) -> SourceFile {
        let start = SourceLocation(line: 1, column: 1, offset: 0)
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Diagnostic(path: path, location: start, message: "\(what) does not exist", sourceLine: nil)
        }
        if Int(info.st_size) > maxFileBytes {
            throw Diagnostic(
                path: path, location: start, message: "\(what) is \(Int(info.st_size) >> 20) MiB, over the \(maxFileBytes >> 20) MiB limit",
                sourceLine: nil)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostic(path: path, location: start, message: "\(what) cannot be read", sourceLine: nil)
        }
        switch SourceFile.load(path: path, data: Array(data)) {
        case .success(let file): return file
        case .failure(let diagnostic): throw diagnostic
        }
    }
}
