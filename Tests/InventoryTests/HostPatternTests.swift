import Testing

@testable import Inventory

@Suite struct HostPatternTests {
    static let inventory: Inventory = {
        let text = """
            [web]
            web1
            web2
            web3
            [db]
            db1
            db2
            [prod]
            web1
            web2
            db1
            [staging]
            web3
            db2
            """
        return (try? INIInventoryReader.read(text, path: "hosts.ini")) ?? Inventory(source: "broken")
    }()

    @Test(arguments: [
        ("all", ["web1", "web2", "web3", "db1", "db2"]),
        ("*", ["web1", "web2", "web3", "db1", "db2"]),
        ("web", ["web1", "web2", "web3"]),
        ("web2", ["web2"]),
        ("web*", ["web1", "web2", "web3"]),
        ("db:web1", ["db1", "db2", "web1"]),
        ("db,web1", ["db1", "db2", "web1"]),
        ("web:&prod", ["web1", "web2"]),
        ("web:!web3", ["web1", "web2"]),
        ("all:!staging:&web", ["web1", "web2"]),
        ("!staging", ["web1", "web2", "db1"]),
        ("~web[12]", ["web1", "web2"]),
        ("w?b3", ["web3"]),
        ("&prod:db", ["db1"]),
    ])
    func selects(pattern: String, expected: [String]) throws {
        #expect(try HostPattern(pattern).select(from: Self.inventory) == expected)
    }

    @Test(arguments: [
        ("webb", "`webb` is neither a host nor a group of hosts.ini; did you mean `web`?; groups: all, web, db, prod, staging"),
        ("web:&staging:!web3", "the host pattern `web:&staging:!web3` selects no host; groups: all, web, db, prod, staging"),
        ("zz*", "`zz*` matches no host or group; groups: all, web, db, prod, staging"),
        ("web:!wbe3", "`wbe3` is neither a host nor a group of hosts.ini; did you mean `web3`?; groups: all, web, db, prod, staging"),
    ])
    func patternsThatSelectNothingAreErrors(pattern: String, message: String) {
        #expect(throws: HostPattern.NoMatch(message: message)) {
            _ = try HostPattern(pattern).select(from: Self.inventory)
        }
    }

    @Test func localIsTheControllerUnlessTheInventoryNamesIt() {
        #expect(HostPattern("local").isLocal(in: Self.inventory))
        #expect(!HostPattern("web").isLocal(in: Self.inventory))
    }
}

@Suite struct GlobTests {
    @Test(arguments: [
        ("*", "anything", true), ("web?", "web1", true), ("web?", "web12", false), ("*.example.com", "a.example.com", true),
        ("[ab]x", "bx", true), ("[!ab]x", "bx", false), ("[a-c]1", "c1", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
    ])
    func matches(pattern: String, text: String, expected: Bool) {
        #expect(Glob.matches(pattern, text) == expected)
    }
}
