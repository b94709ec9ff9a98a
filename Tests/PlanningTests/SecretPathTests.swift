import Foundation
import Inventory
import Planning
import RunbookModel
import Testing
import Wire

/// A path an action also names in its backups and undo is written in clear into the commands sent
/// (and so `ps` on the host) and the journal: a secret cannot be part of it.
@Suite struct SecretPathTests {
    @Test(arguments: [
        ("upload \"/etc/hosts\", to: \"/srv/#{tok}.conf\"", "the upload's destination (`to:`)"),
        ("clean_cache \"/srv/#{tok}\"", "the path to clean"),
        ("symlink \"/srv/#{tok}\", to: \"/srv/v1\"", "the symlink's path"),
        ("env_file \"/srv/#{tok}/.env\", set: { A: \"1\" }", "the env file's path"),
    ]) func aSecretInAPathIsRefused(action: String, role: String) throws {
        let book = try runbook("param :tok, secret: true\nstep :s do\n  \(action)\nend")
        #expect {
            _ = try planner(book, .localOnly(), set: ["tok": "SEKRET99"]).plan(hosts: HostPattern("local"))
        } throws: { error in
            "\(error)".contains("the secret parameter `tok` cannot be part of \(role)") && !"\(error)".contains("SEKRET99")
        }
    }

    @Test func aSecretInARunCommandStaysAReference() throws {
        let book = try runbook("param :tok, secret: true\nstep :s do\n  run \"curl -H #{tok} /x\"\nend")
        let plan = try planner(book, .localOnly(), set: ["tok": "SEKRET99"]).plan(hosts: HostPattern("local"))
        let bytes = plan.hosts.flatMap { $0.exchanges }.compactMap { $0.command?.shown.stdin }.joined()
        #expect(!bytes.contains("SEKRET99"))
    }
}
