import ArgumentParser
import Execution
import Foundation
import Planning

/// Runs a plan on its hosts and reports it as the chosen format; exits with the spec's status.
struct ApplyRunner {
    var options: RunOptions
    var plan: RunPlan

    func run() async throws {
        let bus = EventBus()
        var reporter: TextReporter?
        switch options.format {
        case .json: JSONReporter.attach(to: bus)
        case .text:
            let text = TextReporter(live: Output.isTerminal && ProcessInfo.processInfo.environment["TERM"] != "dumb")
            text.attach(to: bus)
            reporter = text
        }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let executor = RunExecutor(
            plan: plan, factory: TransportFactory(acceptNewHostKeys: options.acceptNewHostKeys, home: home),
            options: ExecutionOptions(rollback: !options.noRollback, forks: options.forks), bus: bus)
        let summary = await executor.run()
        if let reporter {
            reporter.finish()
            let steps = Dictionary(plan.hosts.map { ($0.host, $0.steps.count) }, uniquingKeysWith: { first, _ in first })
            Output.print("\n" + TextReporter.summary(summary, stepCounts: steps))
        }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}
