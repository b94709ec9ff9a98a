import Foundation
import Inventory
import RunbookModel
import Transport

/// Where parameter values come from on the controller besides `--set` (which other local users see in
/// `ps` and which lands in shell history): files, the environment, and a prompt on the terminal.
enum SecretInputs {
    /// A value that cannot be read; the command prints it and exits 2.
    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// `RUNBOOK_SECRET_<name>` gives the secret parameter `name` (also spelt in capitals).
    static let environmentPrefix = "RUNBOOK_SECRET_"

    /// The largest value read from a `--set-file` file or the prompt.
    static let maximumSize = 1 << 20

    /// `--set-file name=PATH`: the file's content, with one trailing newline (`\n` or `\r\n`) removed as
    /// `$(cat file)` and most tools do; every other byte is kept.
    static func readFiles(_ assignments: [String]) throws(Problem) -> [String: String] {
        var values: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw Problem("--set-file takes name=PATH, not `\(assignment)`")
            }
            let name = String(assignment[..<equals])
            let path = String(assignment[assignment.index(after: equals)...])
            guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: maximumSize + 1) else {
                throw Problem("--set-file \(name)=\(path): the file cannot be read")
            }
            try? handle.close()
            guard data.count <= maximumSize else { throw Problem("--set-file \(name)=\(path): the file is larger than 1 MiB") }
            guard var text = String(validating: [UInt8](data), as: UTF8.self) else {
                throw Problem("--set-file \(name)=\(path): the file is not UTF-8 text")
            }
            if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
            guard values.updateValue(text, forKey: name) == nil else { throw Problem("--set-file \(name)=... is given twice") }
        }
        return values
    }

    /// Values of the runbook's secret parameters from `RUNBOOK_SECRET_<name>` (or the name in capitals).
    static func fromEnvironment(_ runbook: Runbook, environment: [String: String]) -> [String: String] {
        var values: [String: String] = [:]
        for param in runbook.params where param.secret {
            if let value = environment[environmentPrefix + param.name] ?? environment[environmentPrefix + param.name.uppercased()] {
                values[param.name] = value
            }
        }
        return values
    }

    /// Every source merged, strongest first: `--set` and `--set-file` (a name in both is an error), then
    /// the environment. Secret parameters still without a value anywhere are asked for on the terminal.
    static func overrides(
        runbook: Runbook, set: [String: String], files: [String: String], environment: [String: String],
        missingOn hosts: () -> [[String: InventoryValue]]
    ) throws(Problem) -> [String: String] {
        if let both = set.keys.sorted().first(where: { files[$0] != nil }) {
            throw Problem("`\(both)` is given by both --set and --set-file")
        }
        var result = fromEnvironment(runbook, environment: environment)
        result.merge(files) { _, file in file }
        result.merge(set) { _, given in given }
        let unset = runbook.params.filter { $0.secret && $0.defaultValue == nil && result[$0.name] == nil }
        guard !unset.isEmpty, isatty(STDIN_FILENO) != 0 else { return result }
        let variables = hosts()
        for param in unset where variables.isEmpty || variables.contains(where: { $0[param.name] == nil || $0[param.name] == .null }) {
            guard
                let value = TerminalPrompt.readHidden(
                    "\(param.doc.map { "\($0) — " } ?? "")value of the secret `\(param.name)`: ", maximum: SecretInputs.maximumSize)
            else {
                continue
            }
            result[param.name] = value
        }
        return result
    }
}
