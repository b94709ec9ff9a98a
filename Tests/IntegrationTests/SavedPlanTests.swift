import Foundation
import TestSupport
import Testing

/// `runbook plan -o PLAN` and `runbook apply PLAN`, with the real binary: the plan runs once, exactly
/// as saved, and is refused (nothing sent) when anything it depends on changed.
@Suite struct SavedPlanTests {
    let folder: String
    let environment: [String: String]

    init() throws {
        folder = try shell("mktemp -d /tmp/runbook-saved-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        environment = ["RUNBOOK_LOCK_DIR": "\(folder)/locks"]
        try """
        runbook "saved" do
          param :dir, type: :path, default: "\(folder)/work"
          param :token, secret: true
          step :a do
            run "mkdir -p #{dir} && printf %s \\"$TOKEN\\" > #{dir}/token", env: { TOKEN: token }
          end
        end
        """.write(toFile: "\(folder)/saved.rb", atomically: true, encoding: .utf8)
    }

    func runbook(_ arguments: [String]) throws -> ProcessOutput {
        try runProcess([runbookBinary] + arguments, environment: environment, directory: folder)
    }

    @Test func aSavedPlanRunsOnceExactlyAsSaved() throws {
        let plan = try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=t0ps3cret", "-o", "p.json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let runID = try #require(plan.stdout.split(separator: "\n").first { $0.hasPrefix("run id: ") }?.dropFirst(8))
        let text = try String(contentsOfFile: "\(folder)/p.json", encoding: .utf8)
        #expect(!text.contains("t0ps3cret"))
        #expect(try shell("stat -c %a \(folder)/p.json").trimmingCharacters(in: .whitespacesAndNewlines) == "600")
        let shown = try runbook(["show", "p.json"])
        #expect(shown.stdout.contains("run id: \(runID)"))
        let applied = try runbook(["apply", "p.json", "--set", "token=t0ps3cret", "--journal", "\(folder)/journal"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(applied.stdout.contains("run \(runID)"))
        #expect(try String(contentsOfFile: "\(folder)/work/token", encoding: .utf8) == "t0ps3cret")
        let again = try runbook(["apply", "p.json", "--set", "token=t0ps3cret", "--journal", "\(folder)/journal"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("was applied already"))
    }

    @Test func aStalePlanIsRefusedAndSendsNothing() throws {
        #expect(try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "p.json"]).status == 0)
        let edited = try String(contentsOfFile: "\(folder)/saved.rb", encoding: .utf8).replacingOccurrences(of: "mkdir -p", with: "mkdir -vp")
        try edited.write(toFile: "\(folder)/saved.rb", atomically: true, encoding: .utf8)
        let applied = try runbook(["apply", "p.json", "--set", "token=x", "--journal", "\(folder)/journal"])
        #expect(applied.status == 2)
        #expect(applied.stderr.contains("the runbook \(folder)/saved.rb changed"), "\(applied.stderr)")
        #expect(applied.stderr.contains("local: the commands it would receive changed"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/work"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/locks"))
    }

    @Test func onlyOutputJournalHostKeyAndSecretOptionsGoWithAPlan() throws {
        #expect(try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "p.json"]).status == 0)
        let hosts = try runbook(["apply", "p.json", "--hosts", "all", "--set", "token=x"])
        #expect(hosts.status == 2)
        #expect(hosts.stderr.contains("--hosts cannot be given with a saved plan"))
        let plain = try runbook(["apply", "p.json", "--set", "dir=/tmp/elsewhere", "--set", "token=x"])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("only secret parameters (token)"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/work"))
    }
}
