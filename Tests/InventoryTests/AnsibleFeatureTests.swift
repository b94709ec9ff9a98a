import Foundation
import Inventory
import RunbookLanguage
import Testing

/// A scratch folder with files, removed at the end.
final class Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID().uuidString)")

    init(_ files: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }
}

@Suite struct AnsibleFeatureTests {
    func problem(_ files: [String: String], host: String = "h") throws -> String? {
        let scratch = try Scratch(files)
        let inventory = try InventoryLoader.load(path: scratch.path("hosts.yml"))
        let entry = try #require(inventory.host(named: host))
        do {
            _ = try inventory.checkedVariables(of: entry)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func plainReferencesResolveAndOtherJinjaIsRefusedWithHostVariableAndFile() throws {
        let scratch = try Scratch([
            "hosts.yml": "all:\n  hosts:\n    h:\n      base: /srv\n      dir: \"{{ base }}/shop\"\n      port: 3002\n      same: \"{{port}}\"\n",
            "host_vars/h.yml": "loud: \"{{ base | upper }}\"\n",
        ])
        let inventory = try InventoryLoader.load(path: scratch.path("hosts.yml"))
        let host = try #require(inventory.host(named: "h"))
        let variables = inventory.variables(of: host)
        #expect(variables["dir"] == .string("/srv/shop"))
        #expect(variables["same"] == .int(3002))
        #expect(throws: InventoryError.self) { try inventory.checkedVariables(of: host) }
        do {
            _ = try inventory.checkedVariables(of: host)
        } catch {
            #expect(error.message.hasPrefix("host `h`: the variable `loud` (\(scratch.path("host_vars/h.yml")):1): is a Jinja template"))
        }
        let missing = try problem(["hosts.yml": "all:\n  hosts:\n    h: { dir: \"{{ nowhere }}/x\" }\n"])
        #expect(missing?.contains("refers to `nowhere`") == true)
    }

    @Test func passwordsAndOtherConnectionsAndBecomeMethodsAreRefused() throws {
        #expect(try problem(["hosts.yml": "all:\n  hosts:\n    h: { ansible_password: x }\n"])?.contains("takes no password") == true)
        #expect(try problem(["hosts.yml": "all:\n  hosts:\n    h: { ansible_become_pass: x }\n"])?.contains("`ansible_become_pass`") == true)
        #expect(try problem(["hosts.yml": "all:\n  hosts:\n    h: { ansible_connection: winrm }\n"])?.contains("`winrm` is not supported") == true)
        #expect(try problem(["hosts.yml": "all:\n  hosts:\n    h: { ansible_become_method: su }\n"])?.contains("sudo only") == true)
        #expect(
            try problem(["hosts.yml": "all:\n  hosts:\n    h: { ansible_ssh_common_args: \"-J bastion\" }\n"])?.contains("`-J` is not supported") == true)
        #expect(
            try problem(["hosts.yml": "all:\n  hosts:\n    h: { ansible_ssh_extra_args: \"-o Compression=yes\" }\n"])?.contains(
                "`-o Compression=yes` is not an option runbook honours") == true)
    }

    @Test func connectionSettingsFromAnsibleVariables() throws {
        let inventory = try InventoryLoader.parse(
            """
            [web]
            local1 ansible_connection=local ansible_become=true
            web1 ansible_host=10.0.0.1 ansible_ssh_common_args='-o ProxyCommand="nc %h %p" -o User=fromargs -o IdentitiesOnly=yes -o ControlMaster=auto' ansible_become=yes ansible_become_user=app
            web2 ansible_user=ops ansible_ssh_extra_args="-oPort=2200 -o ServerAliveInterval=15" host=ignored user=ignored identity_file=/k port=80
            """, path: "h.ini")
        func connection(_ name: String) throws -> HostConnection {
            let host = try #require(inventory.host(named: name))
            return HostConnection.resolve(name: name, variables: inventory.variables(of: host), sshConfig: .empty, home: "/home/t", localUser: "t")
        }
        let local = try connection("local1")
        #expect(local.isLocal && local.become && local.becomeUser == "root")
        let web1 = try connection("web1")
        // ProxyCommand's tokens are expanded, as ssh expands them before running it.
        #expect(web1.proxyCommand == "nc 10.0.0.1 22" && web1.user == "fromargs" && web1.identitiesOnly)
        #expect(web1.become && web1.becomeUser == "app")
        let web2 = try connection("web2")
        // v1's short names are ordinary variables now, as they are to Ansible.
        #expect(web2.address == "web2" && web2.user == "ops" && web2.port == 2200 && !web2.identityFiles.contains("/k"))
        #expect(web2.serverAliveInterval == 15 && !web2.become)
    }

    @Test func refusedSources() throws {
        let scratch = try Scratch([
            "script": "#!/bin/sh\necho '{}'\n", "plugin.yml": "plugin: amazon.aws.aws_ec2\n", "vault.yml": "$ANSIBLE_VAULT;1.1;AES256\n6162\n",
            "inline.yml": "all:\n  hosts:\n    h:\n      secret: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n",
            "ok.yml": "all:\n  hosts:\n    h:\n", "group_vars/all": "$ANSIBLE_VAULT;1.1;AES256\n6162\n",
        ])
        func message(_ name: String) -> String {
            do {
                _ = try InventoryLoader.load(path: scratch.path(name))
                return ""
            } catch {
                return error.description
            }
        }
        #expect(message("script").contains("does not run inventory scripts"))
        #expect(message("plugin.yml").contains("inventory plugin"))
        #expect(message("vault.yml").contains("vault-encrypted"))
        #expect(message("inline.yml").contains("inline.yml:4:15: error: a vault-encrypted value"))
        #expect(message("ok.yml").contains("group_vars/all:1:1: error: the vars file is vault-encrypted"))
    }

    @Test func boundsOnHostileInput() throws {
        // A 600-byte alias bomb: nine levels of nine aliases stand for 387 million strings.
        var bomb = "all:\n  vars:\n    a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1...9 {
            bomb += "    a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]\n"
        }
        let start = Date()
        #expect(throws: Diagnostic.self) { try YAMLInventoryReader.read(bomb, path: "bomb.yml") }
        #expect(Date().timeIntervalSince(start) < 20)
        do {
            _ = try YAMLInventoryReader.read(bomb, path: "bomb.yml")
        } catch {
            #expect(error.description.contains("alias bomb"))
        }
        #expect(throws: HostRange.Invalid.self) { try HostRange.expand("w[0:999]x[0:999]") }
        #expect(try HostRange.expand("w[0:99]x[0:99]").count == 10_000)
        do {
            _ = try INIInventoryReader.read("[web]\nweb1 dir=/srv\u{1}x\n", path: "c.ini")
            Issue.record("a control character was accepted")
        } catch {
            #expect(error.description.hasPrefix("c.ini:2:1: error: the line holds the control character U+0001"))
        }
        let scratch = try Scratch()
        let big = scratch.path("big.yml")
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: UInt64(InventoryLimits.maxFileBytes + 1))
        try handle.close()
        #expect(throws: Diagnostic.self) { try InventoryLoader.load(path: big) }
    }

    @Test func searchOrderReadsAnsibleInventoryAndAnsibleCfg() throws {
        let scratch = try Scratch([
            "ansible.cfg": "[defaults]\ninventory = ./inv/one.ini, ./inv/two.yml ; comment\n", "inv/one.ini": "a1\n",
            "inv/two.yml": "all:\n  hosts:\n    b1:\n",
        ])
        let fromConfig = InventoryLoader.locate(explicit: [], runbookPath: nil, environment: ["HOME": "/nonexistent"], currentDirectory: scratch.url.path)
        #expect(fromConfig.paths == [scratch.path("inv/one.ini"), scratch.path("inv/two.yml")])
        let viaVariable = InventoryLoader.locate(
            explicit: [], runbookPath: nil, environment: ["ANSIBLE_CONFIG": scratch.path("ansible.cfg"), "HOME": "/nonexistent"], currentDirectory: "/")
        #expect(viaVariable.paths == fromConfig.paths)
        let fromEnvironment = InventoryLoader.locate(
            explicit: [], runbookPath: nil, environment: ["ANSIBLE_INVENTORY": "x.ini,~/y", "HOME": "/h"], currentDirectory: "/w")
        #expect(fromEnvironment.paths == ["/w/x.ini", "/h/y"])
        let runbookFirst = InventoryLoader.locate(
            explicit: [], runbookPath: nil, environment: ["RUNBOOK_INVENTORY": "r.yml", "ANSIBLE_INVENTORY": "x.ini"], currentDirectory: "/w")
        #expect(runbookFirst.paths == ["r.yml"])
        let inventory = try InventoryLoader.load(paths: fromConfig.paths + ["c1,c2:2200,"])
        #expect(inventory.hosts.map(\.name) == ["a1", "b1", "c1", "c2"])
        #expect(inventory.host(named: "c2")?.variables["ansible_port"] == .int(2200))
    }
}
