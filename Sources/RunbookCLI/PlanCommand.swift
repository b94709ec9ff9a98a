import ArgumentParser
import Planning

/// `runbook plan FILE`: what a run would do on every host; never connects, never changes anything.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what apply would run on each host, without connecting (same as apply --dry-run).")

    @OptionGroup var options: RunOptions

    func run() throws {
        try PlanCommand.printPlan(options)
    }

    static func printPlan(_ options: RunOptions) throws {
        let plan = try options.makePlan()
        switch options.format {
        case .text: Output.print(PlanPrinter.text(plan), terminator: "")
        case .json: Output.print(try PlanPrinter.json(plan), terminator: "")
        }
        // Shared state: say which planned hosts another run holds (apply would be refused on them).
        if let url = try SharedState.url(state: options.state, journal: options.journal) {
            let store = try SharedState.open(url)
            defer { store.close() }
            let keys = Set(plan.hosts.map { SharedState.leaseHost($0).key })
            for lease in (try? store.leases()) ?? [] where keys.contains(lease.host) { Output.error("note: \(lease.refusal)") }
        }
    }
}
