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
        let stop = StopSignal()
        let executor = RunExecutor(
            plan: plan, factory: TransportFactory(acceptNewHostKeys: options.acceptNewHostKeys, home: home),
            options: ExecutionOptions(rollback: !options.noRollback, forks: options.forks), bus: bus, stop: stop)
        let interrupts = Interrupts(stop: stop, executor: executor)
        interrupts.install()
        let summary = await executor.run()
        if let reporter {
            reporter.finish()
            let steps = Dictionary(plan.hosts.map { ($0.host, $0.steps.count) }, uniquingKeysWith: { first, _ in first })
            Output.print("\n" + TextReporter.summary(summary, stepCounts: steps))
        }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}

/// Ctrl-C: once, start nothing new and roll back the hosts in flight; twice, stop at once (exit 3).
final class Interrupts: @unchecked Sendable {
    let stop: StopSignal
    let executor: RunExecutor
    private var source: DispatchSourceSignal?

    init(stop: StopSignal, executor: RunExecutor) {
        self.stop = stop
        self.executor = executor
    }

    func install() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [stop, executor] in
            if stop.raise() == 1 {
                Output.error("\ninterrupted: starting nothing new; hosts in flight finish their step and roll back (Ctrl-C again to stop at once)")
            } else {
                let hosts = executor.inFlight.names
                Output.error(
                    "\nstopped at once. State unknown on: \(hosts.isEmpty ? "no host" : hosts.joined(separator: ", "))"
                        + (hosts.isEmpty ? "" : "; their locks stay: check them, then `runbook unlock --hosts \(hosts.joined(separator: ","))`"))
                Foundation.exit(3)
            }
        }
        source.resume()
        self.source = source
    }
}
