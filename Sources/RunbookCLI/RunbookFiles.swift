import Foundation
import RunbookLanguage
import RunbookModel

/// Reads runbook files from disk and reports their errors the way every command does.
enum RunbookFiles {
    /// Loads and validates one file.
    static func load(_ path: String) -> Result<Runbook, DiagnosticList> {
        let location = SourceLocation(line: 1, column: 1, offset: 0)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(DiagnosticList([Diagnostic(path: path, location: location, message: "the file does not exist", sourceLine: nil)]))
        }
        // Read one byte past the limit, never the whole file: it may be huge, or endless like /dev/zero.
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path),
            let data = try? handle.read(upToCount: Parser.maximumFileSize + 1)
        else {
            let reason = isDirectory.boolValue ? "is a folder" : "cannot be read"
            return .failure(DiagnosticList([Diagnostic(path: path, location: location, message: "the file \(reason)", sourceLine: nil)]))
        }
        try? handle.close()
        if let tooLarge = Parser.sizeDiagnostic(path: path, size: data.count) { return .failure(DiagnosticList([tooLarge])) }
        return Validator.load(path: path, bytes: Array(data))
    }

    /// Loads a file or prints its errors to standard error and exits with status 2.
    static func loadOrExit(_ path: String) throws -> Runbook {
        switch load(path) {
        case .success(let runbook): return runbook
        case .failure(let list):
            Output.error(list.description)
            throw ExitStatus.usage
        }
    }

    /// The `.rb` files of a folder, sorted by name.
    static func runbooks(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".rb") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }
}
