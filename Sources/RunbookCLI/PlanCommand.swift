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
    }
}
