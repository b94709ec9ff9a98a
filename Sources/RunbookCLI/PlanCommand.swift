import ArgumentParser
import Planning

/// `runbook plan FILE`: what a run would do on every host; never connects, never changes anything.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what apply would run on each host, without connecting (same as apply --dry-run).")

    @OptionGroup var options: RunOptions

    @Option(name: [.customShort("o"), .customLong("out")], help: "Save the plan to this file (mode 0600) for `runbook apply PLAN`.")
    var out: String?

    @Flag(help: "Print every byte each host can receive: exec requests and standard input, in order.")
    var full = false

    func run() throws {
        try PlanCommand.printPlan(options, full: full, out: out)
    }

    static func printPlan(_ options: RunOptions, full: Bool = false, out: String? = nil) throws {
        let plan = try options.makePlan()
        if let out { try SavedPlans.save(plan, options: options, to: out) }
        switch options.format {
        case .text:
            Output.print(PlanPrinter.text(plan, full: full), terminator: "")
            if let out { Output.print("saved to \(out): `runbook apply \(out)` runs exactly this, as run \(plan.runID)") }
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
