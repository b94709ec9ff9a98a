import ArgumentParser
import Foundation
import RunbookModel

/// `runbook list [DIR]`: the runbooks of a folder with their descriptions and steps.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runbooks in a folder (default: runbooks/).")

    @Argument(help: "The folder to list.", completion: .directory)
    var directory: String = "runbooks"

    func run() throws {
        let files = RunbookFiles.runbooks(in: directory)
        if files.isEmpty {
            Output.error("no runbooks (*.rb) in \(directory)/")
            throw ExitStatus.usage
        }
        var invalid = false
        let width = files.map { ($0 as String).split(separator: "/").last?.count ?? 0 }.max() ?? 0
        for file in files {
            let name = String(file.split(separator: "/").last ?? "")
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            switch RunbookFiles.load(file) {
            case .success(let runbook):
                Output.print("\(padded)  \(runbook.description ?? "(no description)")")
                Output.print(String(repeating: " ", count: width) + "  steps: " + runbook.graph.order.joined(separator: ", "))
            case .failure(let list):
                Output.print("\(padded)  INVALID: \(list.diagnostics.count) error(s); run `runbook check \(file)`")
                invalid = true
            }
        }
        if invalid { throw ExitStatus.usage }
    }
}
