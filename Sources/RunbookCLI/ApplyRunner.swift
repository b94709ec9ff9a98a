import ArgumentParser
import Planning

/// Runs a plan. (Execution lands with the execution issue; until then apply refuses to run.)
struct ApplyRunner {
    var options: RunOptions
    var plan: RunPlan

    func run() async throws {
        Output.error("error: apply is not available yet in this build; use `runbook plan` or `apply --dry-run`")
        throw ExitStatus.usage
    }
}
