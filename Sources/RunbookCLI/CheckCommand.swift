import ArgumentParser
import Foundation
import RunbookLanguage
import RunbookModel

/// `runbook check FILE...`: parse and validate only.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Parse and validate runbooks; exit 0 when all are valid, 2 otherwise.")

    @ArgumentParser.Argument(help: "Runbook files to check.", completion: .file(extensions: ["rb"]))
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            switch RunbookFiles.load(file) {
            case .success(let runbook):
                let text = try? String(contentsOfFile: file, encoding: .utf8)
                let warnings = SecretWarnings.find(in: runbook, file: text.map { SourceFile(path: file, text: $0) })
                for warning in warnings { Output.error(warning.description) }
                let noted = warnings.isEmpty ? "" : ", \(warnings.count) warning\(warnings.count == 1 ? "" : "s")"
                Output.print("\(file): ok (\(runbook.steps.count) steps, \(runbook.graph.waves.count) waves\(noted))")
            case .failure(let list):
                Output.error(list.description)
                failed = true
            }
        }
        if failed { throw ExitStatus.usage }
    }
}
