import Foundation
import Inventory
import Testing

/// ansible-core itself (pinned in scripts/install-deps, in the repository's .venv/) is the reference: one
/// `ansible-inventory --list` per inventory, one `ansible --list-hosts` per pattern, compared with what
/// runbook reads (`runbook hosts --format json` is built from the same `HostReport`).
enum Oracle {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let bin = root.appendingPathComponent(".venv/bin").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: bin + "/ansible-inventory") }
    static var required: Bool { ProcessInfo.processInfo.environment["RUNBOOK_REQUIRE_ORACLES"].map { !$0.isEmpty } ?? false }

    static func fixture(_ path: String) -> String { root.appendingPathComponent("Tests/Fixtures/" + path).path }

    /// Runs an ansible program with no user configuration; returns standard output.
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin + "/" + program)
        process.arguments = arguments
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ansible-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ANSIBLE_") }
        environment["ANSIBLE_CONFIG"] = scratch.appendingPathComponent("none.cfg").path
        environment["ANSIBLE_HOME"] = scratch.path
        environment["ANSIBLE_LOCAL_TEMP"] = scratch.path
        environment["ANSIBLE_NOCOLOR"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Host → (group_names, hostvars) from `ansible-inventory --list`.
    static func list(_ sources: [String]) throws -> [String: (groups: [String], vars: JSONTree)] {
        let text = try run("ansible-inventory", sources.flatMap { ["-i", $0] } + ["--list"])
        guard case .object(let top) = try JSONTree.parse(text), case .object(let meta)? = top["_meta"],
            case .object(let hostvars)? = meta["hostvars"]
        else { throw OracleError(message: "unexpected ansible-inventory output: \(text.prefix(300))") }
        var direct: [String: [String]] = [:]
        var parents: [String: [String]] = [:]
        for (group, value) in top where group != "_meta" {
            guard case .object(let entry) = value else { continue }
            if case .array(let hosts)? = entry["hosts"] { for case .string(let host) in hosts { direct[host, default: []].append(group) } }
            if case .array(let children)? = entry["children"] {
                for case .string(let child) in children { parents[child, default: []].append(group) }
            }
        }
        var result: [String: (groups: [String], vars: JSONTree)] = [:]
        let allHosts = Set(direct.keys).union(hostvars.keys)
        for host in allHosts {
            var groups = Set<String>()
            var queue = direct[host] ?? []
            while let group = queue.popLast() {
                if groups.insert(group).inserted { queue += parents[group] ?? [] }
            }
            groups.remove("all")
            var vars = hostvars[host] ?? .object([:])
            if case .object(var entries) = vars {
                for key in entries.keys where HostReport.isSecretName(key) { entries[key] = .string("••••") }
                vars = .object(entries)
            }
            result[host] = (groups.sorted(), vars)
        }
        return result
    }

    static func listHosts(_ sources: [String], pattern: String) throws -> [String] {
        let text = try run("ansible", sources.flatMap { ["-i", $0] } + [pattern, "--list-hosts"])
        return text.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

struct OracleError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A parsed JSON value that keeps booleans, integers and floats apart.
indirect enum JSONTree: Equatable, Decodable, CustomStringConvertible {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONTree]), object([String: JSONTree])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONTree].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONTree].self))
        }
    }

    static func parse(_ text: String) throws -> JSONTree { try JSONDecoder().decode(JSONTree.self, from: Data(text.utf8)) }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): "\(value)(float)"
        case .string(let value): "\"\(value)\""
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let entries): "{" + entries.keys.sorted().map { "\($0): \(entries[$0]?.description ?? "")" }.joined(separator: ", ") + "}"
        }
    }
}

@Suite struct AnsibleOracleTests {
    static let inventories: [(sources: [String], patterns: [String])] = [
        (["inventories/precedence/hosts.ini"], ["all", "web", "web[0]", "web[-1]", "web[1:2]", "web[1:]", "app:&alpha", "all:!db*", "~web[12]", "db2,web"]),
        (["inventories/folder"], ["all", "edge", "edge[2]", "web:!web2", "*"]),
        (["inventories/multi/a/hosts.yml", "inventories/multi/b/hosts"], ["all", "web", "web[-1]", "db:web"]),
        (["inventories/yaml-nested/hosts.yml"], ["all", "region", "region[1:]", "region[0]", "zone_a:&rack1", "ungrouped", "node0[1-4]*"]),
        (["real-inventories/ansible-examples__lamp_haproxy_hosts"], ["all", "webservers", "all:!dbservers"]),
        (["real-inventories/ansible-examples__mongodb_hosts"], ["all", "mongo_servers", "mongo_servers[0]", "mongo*:!mongos_servers"]),
        (["real-inventories/geerlingguy-a4d__deployments-rolling_inventory"], ["all"]),
        (["real-inventories/geerlingguy-a4d__orchestration_hosts.ini"], ["all", "app", "app[-1]", "multi:!db"]),
    ]

    @Test func oraclesAreInstalledWhenRequired() {
        #expect(
            Oracle.available || !Oracle.required,
            "RUNBOOK_REQUIRE_ORACLES is set but \(Oracle.bin)/ansible-inventory is missing: run scripts/install-deps")
    }

    @Test(
        .enabled(if: Oracle.available || Oracle.required, "ansible-core is not installed in .venv/ (run scripts/install-deps)"),
        arguments: 0..<Self.inventories.count)
    func variablesAndGroupsMatchAnsibleInventory(index: Int) throws {
        let entry = Self.inventories[index]
        let sources = entry.sources.map(Oracle.fixture)
        let expected = try Oracle.list(sources)
        let inventory = try InventoryLoader.load(paths: sources)
        let names = inventory.hosts.map(\.name)
        #expect(Set(names) == Set(expected.keys), "hosts of \(entry.sources)")
        let reports = try HostReport.make(names: names, inventory: inventory, sshConfig: .empty, home: "/home/t", localUser: "t")
        guard case .object(let document) = try JSONTree.parse(HostReport.json(reports)), case .array(let hosts)? = document["hosts"] else {
            Issue.record("runbook's JSON has no hosts")
            return
        }
        for case .object(let host) in hosts {
            guard case .string(let name)? = host["name"], let reference = expected[name] else { continue }
            #expect(host["groups"] == .array(reference.groups.map(JSONTree.string)), "group_names of \(name) in \(entry.sources)")
            #expect(host["vars"] == reference.vars, "variables of \(name) in \(entry.sources)")
        }
    }

    @Test(
        .enabled(if: Oracle.available || Oracle.required, "ansible-core is not installed in .venv/ (run scripts/install-deps)"),
        arguments: 0..<Self.inventories.count)
    func patternsSelectWhatAnsibleSelects(index: Int) throws {
        let entry = Self.inventories[index]
        let sources = entry.sources.map(Oracle.fixture)
        let inventory = try InventoryLoader.load(paths: sources)
        for pattern in entry.patterns {
            let expected = try Oracle.listHosts(sources, pattern: pattern)
            let selected = try HostPattern(pattern).select(from: inventory)
            #expect(selected == expected, "pattern `\(pattern)` over \(entry.sources)")
        }
    }
}
