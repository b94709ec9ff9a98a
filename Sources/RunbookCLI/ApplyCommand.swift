import ArgumentParser
import Planning

/// `runbook apply FILE --hosts PATTERN`: run the runbook; `--dry-run` prints the plan instead.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Run a runbook on the selected hosts.")

    @OptionGroup var options: RunOptions

    @Flag(help: "Print the plan and run nothing.")
    var dryRun = false

    @Flag(name: [.customShort("C"), .customLong("check")], help: "Same as --dry-run (Ansible's check mode): print the plan.")
    var check = false

    @Option(help: "Spread the rollout over N `runbook worker` processes (needs --state): save the plan, wait for them, follow it.")
    var workers: Int?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers takes a count of at least 1") }
    }

    func run() async throws {
        // A saved plan is told from a runbook by its content: a JSON document with `schema_version`.
        let saved: SavedPlan?
        do {
            saved = try SavedPlan.load(options.file)
        } catch {
            Output.error("error: \(error)")
            throw ExitStatus.usage
        }
        if let saved {
            try await SavedPlans.apply(saved, path: options.file, given: options, workers: workers)
            return
        }
        if dryRun || check {
            try PlanCommand.printPlan(options)
            return
        }
        if let workers {
            try await RolloutCoordinator(options: options, workers: workers).run()
            return
        }
        let plan = try options.makePlan()
        try await ApplyRunner(options: options, plan: plan).run()
    }
}
