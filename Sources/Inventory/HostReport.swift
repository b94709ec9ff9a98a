/// What `runbook hosts` shows of each host: groups, variables and the resolved connection, as text or
/// as the JSON of `--format json` (`schema_version` 1).
public struct HostReport: Sendable {
    public var name: String
    /// Ansible's `group_names`: every group but `all`, sorted.
    public var groups: [String]
    public var variables: [String: InventoryValue]
    public var connection: HostConnection

    /// Variable names whose values are never printed.
    public static func isSecretName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["pass", "secret", "token", "passphrase", "api_key", "apikey", "credential"].contains { lowered.contains($0) }
    }

    static let mask = "••••"

    /// The reports of the named hosts; a host whose variables runbook refuses is an error.
    public static func make(
        names: [String], inventory: Inventory, sshConfig: SSHConfig, home: String, localUser: String
    ) throws(InventoryError) -> [HostReport] {
        var reports: [HostReport] = []
        for name in names {
            guard let host = inventory.host(named: name) else { continue }
            let variables = try inventory.checkedVariables(of: host)
            let connection = HostConnection.resolve(name: name, variables: variables, sshConfig: sshConfig, home: home, localUser: localUser)
            reports.append(HostReport(name: name, groups: inventory.groupNames(of: host), variables: variables, connection: connection))
        }
        return reports
    }

    /// Variables with secret-looking ones masked.
    public var maskedVariables: [String: InventoryValue] {
        var masked = variables
        for key in masked.keys where Self.isSecretName(key) { masked[key] = .string(Self.mask) }
        return masked
    }

    /// The text lines of one host.
    public var textLines: [String] {
        var lines = ["\(name)  \(connection.summary)  groups: \(groups.joined(separator: ", "))"]
        let masked = maskedVariables
        for key in masked.keys.sorted() { lines.append("    \(key) = \(masked[key]?.description ?? "")") }
        return lines
    }

    /// `{"schema_version":1,"hosts":[...]}` with sorted keys, one line.
    public static func json(_ reports: [HostReport]) -> String {
        "{\"schema_version\":1,\"hosts\":[" + reports.map(\.json).joined(separator: ",") + "]}"
    }

    var json: String {
        var fields = [
            ("name", JSONText.string(name)),
            ("groups", "[" + groups.map(JSONText.string).joined(separator: ",") + "]"),
            ("vars", JSONText.value(.map(maskedVariables))),
        ]
        if connection.isLocal {
            fields.append(("ssh", "null"))
        } else {
            let ssh: [(String, String)] = [
                ("user", JSONText.string(connection.user)),
                ("hostname", JSONText.string(connection.address)),
                ("port", String(connection.port)),
                ("identity_files", "[" + connection.identityFiles.map(JSONText.string).joined(separator: ",") + "]"),
                ("proxy_jump", connection.proxyJump.map(JSONText.string) ?? "null"),
                ("proxy_command", connection.proxyCommand.map(JSONText.string) ?? "null"),
                ("identities_only", connection.identitiesOnly ? "true" : "false"),
                ("connect_timeout", String(connection.connectTimeout)),
                ("server_alive_interval", String(connection.serverAliveInterval)),
            ]
            fields.append(("ssh", JSONText.object(ssh)))
        }
        let become = connection.become ? JSONText.object([("method", "\"sudo\""), ("user", JSONText.string(connection.becomeUser))]) : "null"
        fields.append(("become", become))
        return JSONText.object(fields)
    }
}

/// Minimal JSON writing with the types an inventory value has.
enum JSONText {
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func value(_ value: InventoryValue) -> String {
        switch value {
        case .string(let text): string(text)
        case .int(let number): String(number)
        case .double(let number): number.isFinite ? String(number) : "null"
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .list(let items): "[" + items.map(Self.value).joined(separator: ",") + "]"
        case .map(let entries): object(entries.keys.sorted().map { ($0, Self.value(entries[$0] ?? .null)) })
        }
    }

    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
