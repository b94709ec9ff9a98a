import Foundation
import TestSupport
import Testing

/// The `runbook` binary, run as a user would: exit statuses and what it prints.
struct RunbookBinary {
    static var url: URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("runbook")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return repositoryRoot.appendingPathComponent(".build/debug/runbook")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try runProcess(
            [url.path] + arguments, environment: environment, unset: ["RUNBOOK_INVENTORY"], directory: repositoryRoot.path)
        return (result.status, result.stdout, result.stderr)
    }
}

@Suite struct CommandLineTests {
    @Test func checkExitsZeroForEveryExample() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("runbooks").path)
            .filter { $0.hasSuffix(".rb") }.sorted().map { "runbooks/" + $0 }
        let result = try RunbookBinary.run(["check"] + files)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func checkExitsTwoWithLocatedErrors() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).rb")
        try "runbook \"x\" do\n  step :a do\n    fre_port 1\n  end\nend\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try RunbookBinary.run(["check", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):3:5: error: unknown action `fre_port`; did you mean `free_port`?"))
        #expect(result.stderr.contains("    fre_port 1\n      ^"))
    }

    @Test func planNeverConnectsAndShowsEveryHost() throws {
        let result = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "all", "--run-id", "T"])
        #expect(result.status == 0, "\(result.stderr)")
        // Hosts with the same plan share a block (`hosts web1, web2: the same plan — ...`).
        let headers = result.stdout.split(separator: "\n").filter { $0.hasPrefix("host ") || $0.hasPrefix("hosts ") }
        for host in ["web1", "web2", "web3", "worker01", "worker02"] { #expect(headers.contains { $0.contains(host) }, "\(headers)") }
        #expect(result.stdout.contains("nothing was run: this is a plan"))
    }

    @Test func applyDryRunIsThePlan() throws {
        let plan = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "web", "--run-id", "T"])
        let dry = try RunbookBinary.run(["apply", "runbooks/recover.rb", "--hosts", "web", "--dry-run", "--run-id", "T"])
        #expect(dry.status == 0)
        #expect(dry.stdout == plan.stdout)
    }

    @Test func planErrorsExitTwoAndNameTheProblem() throws {
        let missing = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "nosuch"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("`nosuch` is neither a host nor a group of"))
        let badSet = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "local", "--set", "port=99999"])
        #expect(badSet.status == 2)
        #expect(badSet.stderr.contains("the parameter `port` is `99999` (from --set), which is not a port (1-65535) (host: local)"))
        let usage = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--serial", "lots"])
        #expect(usage.status == 2)
    }

    @Test func hostsListsConnectionsAndMasksSecrets() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID().uuidString).ini")
        try "[web]\nweb1 ansible_host=10.0.0.1 ansible_user=ops db_password=hunter22\n[web:vars]\nport=3002\n".write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try RunbookBinary.run(["hosts", "web", "--inventory", file.path, "--ssh-config", "/dev/null"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("web1  ops@10.0.0.1:22  groups: web"))
        #expect(result.stdout.contains("    port = 3002"))
        #expect(result.stdout.contains("    db_password = ••••"))
        #expect(!result.stdout.contains("hunter22"))
    }

    @Test func jsonPlanParses() throws {
        let result = try RunbookBinary.run(["plan", "runbooks/release.rb", "--hosts", "web", "--format", "json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["runbook"] as? String == "release")
    }

    @Test func graphPrintsMermaid() throws {
        let result = try RunbookBinary.run(["graph", "runbooks/recover.rb", "--format", "mermaid"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("  rebuild --> start\n  free_port --> start\n"))
    }
}
