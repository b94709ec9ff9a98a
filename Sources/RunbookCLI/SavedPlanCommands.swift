import ArgumentParser
import Foundation
import Inventory
import Journal
import Planning

#if canImport(Glibc)
    import Glibc
#endif

/// Writing, applying and showing saved plans.
enum SavedPlans {
    /// The arguments that plan again exactly what `options` planned: paths made absolute, secret
    /// values left out (they come from the environment or `--set` at apply).
    static func arguments(_ options: RunOptions, secrets: Set<String>) -> [String] {
        var out = [SavedPlan.absolute(options.file)]
        if let hosts = options.hosts { out += ["--hosts", hosts] }
        for path in options.inventory { out += ["-i", path.contains(",") ? path : SavedPlan.absolute(path)] }
        if let limit = options.limit { out += ["--limit", limit] }
        for assignment in options.assignments {
            // An inline mapping may hold secrets too: its other values are kept one by one.
            if assignment.hasPrefix("{"), let values = try? ExtraVars.parse(assignment) {
                for (name, value) in values.sorted(by: { $0.key < $1.key }) where !secrets.contains(name) { out += ["--set", "\(name)=\(value.description)"] }
                continue
            }
            let name = assignment.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            if secrets.contains(name) { continue }
            out += ["--set", assignment.hasPrefix("@") ? "@" + SavedPlan.absolute(String(assignment.dropFirst())) : assignment]
        }
        for assignment in options.fileAssignments {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !secrets.contains(parts[0]) else { continue }
            out += ["--set-file", parts[0] + "=" + SavedPlan.absolute(parts[1])]
        }
        if let user = options.user { out += ["--user", user] }
        if options.become { out.append("--become") }
        if let serial = options.serial { out += ["--serial", serial] }
        if let canary = options.canary { out += ["--canary", String(canary)] }
        if let maxFail = options.maxFail { out += ["--max-fail", maxFail] }
        if let rollback = options.rollback { out += ["--rollback", rollback] }
        if options.noRollback { out.append("--no-rollback") }
        out += ["--forks", String(options.forks)]
        if let sshConfig = options.sshConfig { out += ["--ssh-config", SavedPlan.absolute(sshConfig)] }
        return out
    }

    /// `plan -o PLAN`: writes the plan file and says what apply will use.
    static func save(_ plan: RunPlan, options: RunOptions, to path: String) throws {
        let secrets = Set(plan.runbook.params.filter(\.secret).map(\.name))
        do {
            try SavedPlan(plan: plan, options: options, arguments: arguments(options, secrets: secrets)).write(to: path)
        } catch {
            Output.error("error: \(error)")
            throw ExitStatus.usage
        }
    }

    /// Options a saved plan may be applied with; anything else would change what was reviewed.
    static let allowed: Set<String> = [
        "--format", "--journal", "--no-journal", "--accept-new-host-keys", "--set", "-e", "--set-file", "--state", "--workers",
    ]

    /// `apply PLAN`: plans again with the recorded arguments, run id and release; runs it only when
    /// every byte is the same as what was saved, and at most once.
    /// With `workers`, the plan is run by that many `runbook worker` processes (RolloutCoordinator).
    static func apply(_ saved: SavedPlan, path: String, given: RunOptions, workers: Int? = nil) async throws {
        let raw = Array(CommandLine.arguments.drop { $0 != "apply" }.dropFirst())
        for word in raw where word.hasPrefix("-") {
            let name = String(word.split(separator: "=", maxSplits: 1)[0])
            if !allowed.contains(name) {
                Output.error(
                    "error: \(name) cannot be given with a saved plan: it was fixed when the plan was made (allowed: --format, --journal, --state, --workers, --accept-new-host-keys, --set for secret parameters)"
                )
                throw ExitStatus.usage
            }
        }
        var secretSets: [String] = []
        for assignment in given.assignments {
            let name = assignment.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            guard saved.secrets.contains(name) else {
                Output.error("error: --set \(name)=...: only secret parameters (\(saved.secrets.joined(separator: ", "))) are given when applying a saved plan")
                throw ExitStatus.usage
            }
            secretSets += ["--set", assignment]
        }
        for assignment in given.fileAssignments {
            let name = assignment.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            guard saved.secrets.contains(name) else {
                Output.error(
                    "error: --set-file \(name)=...: only secret parameters (\(saved.secrets.joined(separator: ", "))) are given when applying a saved plan")
                throw ExitStatus.usage
            }
            secretSets += ["--set-file", assignment]
        }
        var arguments = saved.arguments + secretSets + ["--run-id", saved.runId, "--release", saved.release, "--format", given.format.rawValue]
        if let journal = given.journal { arguments += ["--journal", journal] }
        if given.noJournal { arguments.append("--no-journal") }
        // Shared state: the store's run id is unique, so a saved plan runs once across controllers too.
        if let state = given.state { arguments += ["--state", state] }
        if given.acceptNewHostKeys { arguments.append("--accept-new-host-keys") }
        let options: RunOptions
        do {
            options = try RunOptions.parse(arguments)
        } catch {
            Output.error("error: \(path): its recorded arguments no longer parse: \(RunOptions.message(for: error))")
            throw ExitStatus.usage
        }
        let plan = try options.makePlan()
        let changes = saved.changes(comparedWith: plan, options: options)
        guard changes.isEmpty else {
            Output.error(
                "error: \(path) is stale; nothing was sent to any host:\n" + changes.map { "  - \($0)" }.joined(separator: "\n")
                    + "\nmake a new plan with `runbook plan ... -o \(path)` and review it")
            throw ExitStatus.usage
        }
        try markApplied(saved.runId, journal: options.journal, path: path)
        if let workers {
            try await RolloutCoordinator(options: options, workers: workers).run()
            return
        }
        try await ApplyRunner(options: options, plan: plan).run()
    }

    /// A plan runs at most once: its run id is claimed with an exclusive create in the default journal
    /// folder and in the one given, so `--journal elsewhere` does not make it new again.
    static func markApplied(_ runID: String, journal: String?, path: String) throws {
        var folders = [Journal.folder(explicit: nil) + "/applied-plans"]
        if journal != nil, !folders.contains(Journal.folder(explicit: journal) + "/applied-plans") {
            folders.append(Journal.folder(explicit: journal) + "/applied-plans")
        }
        for folder in folders {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let descriptor = open(folder + "/" + runID, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                Output.error(
                    errno == EEXIST
                        ? "error: \(path) (run \(runID)) was applied already; a plan runs once: make a new one"
                        : "error: cannot record that \(path) is being applied in \(folder): \(String(cString: strerror(errno)))")
                throw ExitStatus.usage
            }
            close(descriptor)
        }
    }
}
