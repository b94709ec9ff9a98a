import ArgumentParser
import RunbookModel

/// `runbook check FILE...`: parse and validate only.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Parse and validate runbooks; exit 0 when all are valid, 2 otherwise.")

    @Argument(help: "Runbook files to check.", completion: .file(extensions: ["rb"]))
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            switch RunbookFiles.load(file) {
            case .success(let runbook):
                Output.print("\(file): ok (\(runbook.steps.count) steps, \(runbook.graph.waves.count) waves)")
            case .failure(let list):
                Output.error(list.description)
                failed = true
            }
        }
        if failed { throw ExitStatus.usage }
    }
}
