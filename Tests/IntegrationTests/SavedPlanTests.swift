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
        // The secret can come from a file as well (never from the plan).
        try "t0ps3cret\n".write(toFile: "\(folder)/token", atomically: true, encoding: .utf8)
        let again = try runbook(["apply", "p.json", "--set-file", "token=\(folder)/token", "--journal", "\(folder)/journal"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("was applied already"))
    }

    /// A plan made with a relative `-i` (as workers of `apply --workers` get it too) is planned again
    /// from its absolute path: it is not stale for that.
    @Test func aPlanMadeWithARelativeInventoryIsNotStale() throws {
        try "local ansible_connection=local\n".write(toFile: "\(folder)/hosts.ini", atomically: true, encoding: .utf8)
        let plan = try runbook(["plan", "saved.rb", "-i", "hosts.ini", "--hosts", "local", "--set", "token=x", "-o", "p.json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let applied = try runbook(["apply", "p.json", "--set", "token=x", "--journal", "\(folder)/journal"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
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

    @Test func aChangedUploadSourceMakesThePlanStale() throws {
        try "reviewed\n".write(toFile: "\(folder)/app.conf", atomically: true, encoding: .utf8)
        try """
        runbook "up" do
          step :a do
            upload "\(folder)/app.conf", to: "\(folder)/deployed.conf"
          end
        end
        """.write(toFile: "\(folder)/up.rb", atomically: true, encoding: .utf8)
        #expect(try runbook(["plan", "up.rb", "--hosts", "local", "-o", "p.json"]).status == 0)
        try "not reviewed\n".write(toFile: "\(folder)/app.conf", atomically: true, encoding: .utf8)
        let applied = try runbook(["apply", "p.json", "--journal", "\(folder)/journal"])
        #expect(applied.status == 2)
        #expect(applied.stderr.contains("local: the commands it would receive changed"), "\(applied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/deployed.conf"))
    }

    @Test func aPlanEditedToShowOneThingAndRunAnotherIsRefused() throws {
        // The attacker plans the evil variant, then pastes the reviewed plan's text into it.
        #expect(try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "good.json"]).status == 0)
        let good = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/good.json"))) as? [String: Any])
        let same = ["--run-id", "\(good["run_id"] ?? "")", "--release", "\(good["release"] ?? "")"]
        let evilPlan = try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "dir=\(folder)/evil", "--set", "token=x", "-o", "evil.json"] + same)
        #expect(evilPlan.status == 0, "\(evilPlan.stderr)")
        var evil = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/evil.json"))) as? [String: Any])
        evil["text"] = good["text"]
        try JSONSerialization.data(withJSONObject: evil).write(to: URL(fileURLWithPath: "\(folder)/forged.json"))
        #expect(try runbook(["show", "forged.json"]).stdout == (try runbook(["show", "good.json"])).stdout)
        let applied = try runbook(["apply", "forged.json", "--set", "token=x", "--journal", "\(folder)/journal"])
        #expect(applied.status == 2, "\(applied.stdout)")
        #expect(applied.stderr.contains("the plan's text is not the plan it would run"), "\(applied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/evil"))
    }

    @Test func anotherJournalFolderDoesNotMakeAnAppliedPlanNew() throws {
        let home = ["HOME": folder, "XDG_STATE_HOME": ""]
        let plan = try runProcess(
            [runbookBinary, "plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "p.json"], environment: environment.merging(home) { a, _ in a },
            directory: folder)
        #expect(plan.status == 0)
        let first = try runProcess(
            [runbookBinary, "apply", "p.json", "--set", "token=x", "--journal", "\(folder)/j1"], environment: environment.merging(home) { a, _ in a },
            directory: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try runProcess(
            [runbookBinary, "apply", "p.json", "--set", "token=x", "--journal", "\(folder)/j2"], environment: environment.merging(home) { a, _ in a },
            directory: folder)
        #expect(second.status == 2)
        #expect(second.stderr.contains("was applied already"), "\(second.stderr)")
    }

    @Test func thePlanIsANewFileOfItsOwnEvenWhereAnotherFileWas() throws {
        try shell(
            "umask 0; touch \(folder)/p.json && chmod 666 \(folder)/p.json && chown nobody \(folder)/p.json && printf keep > \(folder)/victim && ln -s victim \(folder)/l.json"
        )
        #expect(try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "p.json"]).status == 0)
        #expect(
            try shell("stat -c '%a %U' \(folder)/p.json").trimmingCharacters(in: .whitespacesAndNewlines)
                == "600 \(try shell("id -un").trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "l.json"]).status == 0)
        #expect(try String(contentsOfFile: "\(folder)/victim", encoding: .utf8) == "keep")
        #expect(try shell("stat -c '%a %F' \(folder)/l.json").trimmingCharacters(in: .whitespacesAndNewlines) == "600 regular file")
    }

    @Test func aRunIdThatIsAPathIsRefused() throws {
        let plan = try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "--run-id", "../../escaped", "-o", "p.json"])
        #expect(plan.status == 2)
        #expect(plan.stderr.contains("--run-id takes letters, digits"), "\(plan.stderr)")
        #expect(try runbook(["plan", "saved.rb", "--hosts", "local", "--set", "token=x", "-o", "p.json"]).status == 0)
        let text = try String(contentsOfFile: "\(folder)/p.json", encoding: .utf8)
        let runID = try #require(text.firstMatch(of: /"run_id" : "([^"]+)"/)?.1)
        try text.replacingOccurrences(of: String(runID), with: "../../escaped").write(toFile: "\(folder)/p.json", atomically: true, encoding: .utf8)
        let applied = try runbook(["apply", "p.json", "--set", "token=x", "--journal", "\(folder)/journal/inner"])
        #expect(applied.status == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/escaped.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/work"))
    }

    @Test func aSecretInAnInlineMappingIsNotSaved() throws {
        let plan = try runbook(["plan", "saved.rb", "--hosts", "local", "-e", #"{"token": "t0ps3cret", "dir": "\#(folder)/mapped"}"#, "-o", "p.json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(!(try String(contentsOfFile: "\(folder)/p.json", encoding: .utf8)).contains("t0ps3cret"))
        let applied = try runbook(["apply", "p.json", "--set", "token=t0ps3cret", "--journal", "\(folder)/journal"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(try String(contentsOfFile: "\(folder)/mapped/token", encoding: .utf8) == "t0ps3cret")
    }
}
