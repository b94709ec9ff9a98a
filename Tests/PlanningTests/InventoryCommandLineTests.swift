import Foundation
import Testing

/// The inventory flags as a user types them, run through the `runbook` binary.
@Suite struct InventoryCommandLineTests {
    func temporary(_ name: String, _ text: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func anInventoryFoundMeansHostsAreRequired() throws {
        let result = try RunbookBinary.run(["plan", "runbooks/recover.rb"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("an inventory was found"))
        #expect(result.stderr.contains("--hosts local"))
        let local = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "local", "--run-id", "T"])
        #expect(local.status == 0, "\(local.stderr)")
        let elsewhere = try RunbookBinary.run(["plan", "/dev/null/none.rb"], environment: [:])
        #expect(elsewhere.status == 2)
    }

    @Test func limitListHostsAndSubscripts() throws {
        let listed = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "all", "-l", "web:!web2", "--list-hosts"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout == "  hosts (2):\n    web1\n    web3\n")
        let limitAlone = try RunbookBinary.run(["apply", "runbooks/recover.rb", "--limit", "web[0]", "--list-hosts"])
        #expect(limitAlone.stdout == "  hosts (1):\n    web1\n")
        let check = try RunbookBinary.run(["apply", "runbooks/recover.rb", "--hosts", "web[-1]", "-C", "--run-id", "T"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("\nhost web3 — "))
        #expect(!check.stdout.contains("\nhost web1 — "))
    }

    @Test func extraVarsFromAFileAndUserAndBecome() throws {
        let vars = try temporary("vars.yml", "port: 4000\n")
        defer { try? FileManager.default.removeItem(at: vars) }
        let result = try RunbookBinary.run(["plan", "runbooks/recover.rb", "--hosts", "web1", "-e", "@\(vars.path)", "--run-id", "T", "--full"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("port=4000"))
        let inventory = try temporary("hosts.ini", "[web]\nw1 ansible_host=10.0.0.1\nw2 ansible_user=own\n")
        defer { try? FileManager.default.removeItem(at: inventory) }
        let plan = try RunbookBinary.run(["plan", "runbooks/recover.rb", "-i", inventory.path, "--hosts", "web", "-u", "cli", "-b", "--run-id", "T"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("cli@10.0.0.1:22 (sudo as root)"))
        #expect(plan.stdout.contains("own@w2:22 (sudo as root)"))
    }

    @Test func hostsAsJSON() throws {
        let inventory = try temporary(
            "hosts.ini", "[web]\nweb1 ansible_host=10.0.0.1 ansible_port=2222 db_password=hunter22 n=5\nlocal1 ansible_connection=local\n")
        defer { try? FileManager.default.removeItem(at: inventory) }
        let result = try RunbookBinary.run(["hosts", "web", "-i", inventory.path, "--ssh-config", "/dev/null", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("hunter22"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["schema_version"] as? Int == 1)
        let hosts = try #require(document["hosts"] as? [[String: Any]])
        #expect(hosts.count == 2)
        let ssh = try #require(hosts[0]["ssh"] as? [String: Any])
        #expect(ssh["port"] as? Int == 2222)
        #expect(ssh["hostname"] as? String == "10.0.0.1")
        #expect((hosts[0]["vars"] as? [String: Any])?["db_password"] as? String == "••••")
        #expect(hosts[0]["groups"] as? [String] == ["web"])
        #expect(hosts[1]["ssh"] is NSNull)
    }

    @Test func badInventoriesExitTwoWithTheirLocation() throws {
        let inventory = try temporary("hosts.ini", "[web]\nw[0:999]x[0:999]\n")
        defer { try? FileManager.default.removeItem(at: inventory) }
        let result = try RunbookBinary.run(["hosts", "-i", inventory.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(inventory.path):2:1: error: invalid host range"))
        let jinja = try temporary("hosts.yml", "all:\n  hosts:\n    h:\n      dir: \"{{ base | default('/srv') }}\"\n")
        defer { try? FileManager.default.removeItem(at: jinja) }
        let refused = try RunbookBinary.run(["plan", "runbooks/recover.rb", "-i", jinja.path, "--hosts", "h"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("host `h`: the variable `dir` (\(jinja.path):4): is a Jinja template"))
    }

    @Test func version() throws {
        let result = try RunbookBinary.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("runbook "))
    }
}
