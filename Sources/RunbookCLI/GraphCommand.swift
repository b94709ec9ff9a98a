import ArgumentParser
import Foundation
import RunbookModel

extension GraphRenderer.Format: ExpressibleByArgument {}

/// `runbook graph FILE --format dot|mermaid`: the step graph.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Print the step graph as dot or Mermaid.")

    @Argument(help: "The runbook file.", completion: .file(extensions: ["rb"]))
    var file: String

    @Option(help: "dot or mermaid.")
    var format: GraphRenderer.Format = .dot

    func run() throws {
        let runbook = try RunbookFiles.loadOrExit(file)
        Output.print(GraphRenderer.render(runbook, as: format), terminator: "")
    }
}
