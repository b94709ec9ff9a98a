import Foundation
import RunbookLanguage
import Testing

@testable import Inventory

let sharedFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite struct YAMLInventoryTests {
    static let yaml = """
        all:
          vars:
            supervisor: pm2
            port: 80
            tier: all
          children:
            web:
              vars: { port: 3002, tier: web }
              hosts:
                web1: { ansible_host: 10.0.0.11 }
                web2: { ansible_host: 10.0.0.12, ansible_port: 2222, ansible_user: deploy, tier: special }
                web[03:04]:
            db:
              hosts:
                db[a:c].example.com:
            prod:
              vars: { tier: prod }
              children:
                web:
                  vars: { canary: true }
            empty:
        """

    @Test func groupsHostsRangesAndOrder() throws {
        let inventory = try YAMLInventoryReader.read(Self.yaml, path: "hosts.yml")
        #expect(inventory.hosts.map(\.name) == ["web1", "web2", "web03", "web04", "dba.example.com", "dbb.example.com", "dbc.example.com"])
        #expect(inventory.hosts(inGroup: "web") == ["web1", "web2", "web03", "web04"])
        #expect(inventory.hosts(inGroup: "prod") == ["web1", "web2", "web03", "web04"])
        #expect(inventory.hosts(inGroup: "empty") == [])
        #expect(inventory.groups["all"]?.children.contains("db") == true)
    }

    @Test func variablePrecedenceHostThenDeeperGroupThenAll() throws {
        let inventory = try YAMLInventoryReader.read(Self.yaml, path: "hosts.yml")
        let web1 = try #require(inventory.host(named: "web1"))
        let variables = inventory.variables(of: web1)
        // web is a child of prod, so web (deeper) beats prod, which beats all.
        #expect(variables["tier"] == .string("web"))
        #expect(variables["port"] == .int(3002))
        #expect(variables["supervisor"] == .string("pm2"))
        #expect(variables["canary"] == .bool(true))
        let web2 = try #require(inventory.host(named: "web2"))
        #expect(inventory.variables(of: web2)["tier"] == .string("special"))
        let db = try #require(inventory.host(named: "dba.example.com"))
        #expect(inventory.variables(of: db)["port"] == .int(80))
    }

    @Test func quotedNumbersStayStrings() throws {
        let inventory = try YAMLInventoryReader.read("all:\n  hosts:\n    h: { a: \"3002\", b: 3002, c: yes, d: 1.5 }\n", path: "h.yml")
        let host = try #require(inventory.host(named: "h"))
        #expect(host.variables == ["a": .string("3002"), "b": .int(3002), "c": .bool(true), "d": .double(1.5)])
    }

    @Test(arguments: [
        ("all:\n  hosts:\n    - web1\n", "`hosts:` of `all` must be a mapping of host names (a list is not Ansible's format)", 3, 5),
        (
            "all:\n  childs:\n    web:\n",
            "unknown key `childs:` in the group `all`; did you mean `children`? (a group holds `hosts:`, `vars:` and `children:`)", 2, 3
        ),
        ("all:\n  hosts:\n    web[3:1]:\n", "invalid host range in `web[3:1]`: the start is after the end", 3, 5),
        ("all:\n  hosts: {\n", "invalid YAML: did not find expected node content", 3, 1),
    ])
    func errorsAreLocated(text: String, message: String, line: Int, column: Int) {
        #expect {
            _ = try YAMLInventoryReader.read(text, path: "bad.yml")
        } throws: { error in
            guard let diagnostic = error as? Diagnostic else { return false }
            return diagnostic.message == message && diagnostic.location.line == line && diagnostic.location.column == column
        }
    }
}

@Suite struct INIInventoryTests {
    static let ini = """
        # comment
        loose1 ansible_host=10.1.0.1

        [web]
        web1 ansible_host=10.0.0.11 ansible_port=2222 quoted='a b' n=5 flag=True
        web[2:3] ansible_user=deploy   # trailing comment
        db.example.com:2200

        [web:vars]
        port=3002
        motd="hello there"

        [db]
        db.example.com

        [prod:children]
        web
        db

        [prod:vars]
        port=80
        """

    @Test func sectionsVariablesAndChildren() throws {
        let inventory = try INIInventoryReader.read(Self.ini, path: "hosts")
        #expect(inventory.hosts.map(\.name) == ["loose1", "web1", "web2", "web3", "db.example.com"])
        #expect(inventory.hosts(inGroup: "ungrouped") == ["loose1"])
        #expect(inventory.hosts(inGroup: "prod") == ["web1", "web2", "web3", "db.example.com"])
        let web1 = try #require(inventory.host(named: "web1"))
        #expect(web1.variables["ansible_port"] == .int(2222))
        #expect(web1.variables["quoted"] == .string("a b"))
        #expect(web1.variables["n"] == .int(5))
        #expect(web1.variables["flag"] == .bool(true))
        let variables = inventory.variables(of: web1)
        #expect(variables["port"] == .int(3002))  // [group:vars] values are Python literals too (ansible-core 2.18)
        #expect(variables["motd"] == .string("hello there"))
        let db = try #require(inventory.host(named: "db.example.com"))
        #expect(db.variables["ansible_port"] == .int(2200))
        // db.example.com is in web and db (both children of prod): the deeper groups beat prod, and of
        // two groups at one depth the later name (web) wins, as in Ansible.
        #expect(inventory.variables(of: db)["port"] == .int(3002))
    }

    @Test(arguments: [
        ("[web:varz]\n", "unknown section kind `:varz`; did you mean `vars`? (sections are [group], [group:vars] and [group:children])", 1),
        ("[web\n", "invalid host range in `[web`: `[` has no `]`", 1),
        ("[web]\nh1 novalue\n", "expected `key=value` after the host name, found `novalue`", 2),
        ("[web]\nh1 a='open\n", "cannot split the host line: no closing quotation", 2),
        ("[web:vars]\njustakey\n", "expected `key=value` in [web:vars]", 2),
    ])
    func errorsAreLocated(text: String, message: String, line: Int) {
        #expect {
            _ = try INIInventoryReader.read(text, path: "bad.ini")
        } throws: { error in
            guard let diagnostic = error as? Diagnostic else { return false }
            return diagnostic.message == message && diagnostic.location.line == line
        }
    }

    @Test func realInventoriesFromPublicProjects() throws {
        let folder = sharedFixtures.appendingPathComponent("real-inventories")
        let orchestration = try InventoryLoader.load(path: folder.appendingPathComponent("geerlingguy-a4d__orchestration_hosts.ini").path)
        #expect(orchestration.hosts(inGroup: "multi") == ["192.168.56.4", "192.168.56.5", "192.168.56.6"])
        let host = try #require(orchestration.host(named: "192.168.56.6"))
        let variables = orchestration.variables(of: host)
        #expect(variables["ansible_user"] == .string("vagrant"))
        #expect(variables["ansible_ssh_common_args"] == .string("-o StrictHostKeyChecking=no"))

        let mongo = try InventoryLoader.load(path: folder.appendingPathComponent("ansible-examples__mongodb_hosts").path)
        #expect(mongo.hosts.map(\.name) == ["mongo1", "mongo2", "mongo3", "mongo4"])
        #expect(mongo.hosts(inGroup: "replication_servers") == ["mongo4", "mongo3", "mongo1", "mongo2"])  // Ansible's order: the group's own hosts as listed
        #expect(mongo.host(named: "mongo3")?.variables["mongod_port"] == .int(2702))

        let rolling = try InventoryLoader.load(path: folder.appendingPathComponent("geerlingguy-a4d__deployments-rolling_inventory").path)
        #expect(rolling.hosts(inGroup: "nodejs-api").count == 4)

        let lamp = try InventoryLoader.load(path: folder.appendingPathComponent("ansible-examples__lamp_haproxy_hosts").path)
        #expect(lamp.groupOrder.contains("monitoring"))
        #expect(lamp.hosts(inGroup: "all") == ["web1", "web2", "db1", "lb1", "nagios"])
    }
}

@Suite struct HostRangeTests {
    @Test(arguments: [
        ("web[01:03].x", ["web01.x", "web02.x", "web03.x"]),
        ("web[1:3]", ["web1", "web2", "web3"]),
        ("db[a:c]", ["dba", "dbb", "dbc"]),
        ("n[0:6:3]", ["n0", "n3", "n6"]),
        ("r[1:2]c[a:b]", ["r1ca", "r1cb", "r2ca", "r2cb"]),
        ("plain.example.com", ["plain.example.com"]),
        ("[2001:db8::1]", ["[2001:db8::1]"]),
        ("w[08:10]", ["w08", "w09", "w10"]),
    ])
    func expands(pattern: String, expected: [String]) throws {
        #expect(try HostRange.expand(pattern) == expected)
    }
}
