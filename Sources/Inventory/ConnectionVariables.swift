/// The `ansible_*` variables that say how to reach a host, read as ansible-core reads them; the ones
/// runbook cannot honour are refused with the host, the variable and its file.
public enum ConnectionVariables {
    /// Variables that hold passwords: runbook never takes a password from an inventory.
    static let passwordNames = [
        "ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_become_pass", "ansible_become_password",
        "ansible_sudo_pass", "ansible_sudo_password",
    ]
    /// Variables whose words are passed to ssh, in the order ssh sees them (first value wins).
    static let argumentNames = ["ansible_ssh_common_args", "ansible_ssh_extra_args"]
    /// `-o` keywords runbook honours, by lower-cased name.
    static let optionNames = [
        "hostname": "HostName", "user": "User", "port": "Port", "identityfile": "IdentityFile", "identitiesonly": "IdentitiesOnly",
        "proxyjump": "ProxyJump", "proxycommand": "ProxyCommand", "stricthostkeychecking": "StrictHostKeyChecking",
        "userknownhostsfile": "UserKnownHostsFile", "connecttimeout": "ConnectTimeout", "serveraliveinterval": "ServerAliveInterval",
        "serveralivecountmax": "ServerAliveCountMax",
    ]
    /// `-o` keywords about sharing one ssh process between commands: runbook keeps one connection per
    /// host anyway, so they change nothing.
    static let ignoredOptionNames: Set<String> = ["controlmaster", "controlpersist", "controlpath"]

    /// One `-o Key=Value` from the ssh arguments, with its canonical keyword.
    public struct Option: Sendable, Hashable {
        public var keyword: String
        public var value: String
    }

    /// The `-o` options of `ansible_ssh_common_args` then `ansible_ssh_extra_args`, or why they are refused.
    public static func sshOptions(_ variables: [String: InventoryValue]) -> Result<[Option], InventoryError> {
        var options: [Option] = []
        for name in argumentNames {
            guard let value = variables[name], value != .null else { continue }
            let words: [String]
            do {
                words = try ShellWords.split(value.description, comments: false)
            } catch {
                return .failure(InventoryError(variable: name, "cannot be split into words: \(error.message)"))
            }
            var index = 0
            while index < words.count {
                let word = words[index]
                var option: String
                if word == "-o" {
                    guard index + 1 < words.count else { return .failure(InventoryError(variable: name, "`-o` has no option after it")) }
                    option = words[index + 1]
                    index += 2
                } else if word.hasPrefix("-o") {
                    option = String(word.dropFirst(2))
                    index += 1
                } else {
                    return .failure(
                        InventoryError(
                            variable: name,
                            "`\(word)` is not supported: runbook honours only `-o Key=Value` here (for a jump host write `-o ProxyJump=HOST`)"))
                }
                option = option.trimmingCharacters()
                let separator = option.firstIndex { $0 == "=" || $0 == " " || $0 == "\t" }
                guard let separator else { return .failure(InventoryError(variable: name, "`-o \(option)` has no value (write `-o Key=Value`)")) }
                let key = String(option[..<separator]).lowercased()
                var rest = option[option.index(after: separator)...].drop { $0 == " " || $0 == "\t" }
                if rest.first == "=" { rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" } }
                if ignoredOptionNames.contains(key) { continue }
                guard let keyword = optionNames[key] else {
                    let known = optionNames.values.sorted().joined(separator: ", ")
                    return .failure(InventoryError(variable: name, "`-o \(option)` is not an option runbook honours (it reads \(known))"))
                }
                options.append(Option(keyword: keyword, value: String(rest)))
            }
        }
        return .success(options)
    }

    /// True when the host runs commands on the controller itself (`ansible_connection=local`).
    public static func isLocal(_ variables: [String: InventoryValue]) -> Bool {
        variables["ansible_connection"]?.description.lowercased() == "local"
    }

    /// `ansible_become` as Ansible's `boolean()` reads it.
    public static func become(_ variables: [String: InventoryValue]) -> Bool? {
        guard let value = variables["ansible_become"], value != .null else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .int(let number): return number == 1
        default: return ["yes", "on", "1", "true", "y", "t"].contains(value.description.lowercased())
        }
    }

    /// The first problem that stops runbook using these connection variables, if any.
    public static func check(_ variables: [String: InventoryValue], host: String, origins: [String: String]) throws(InventoryError) {
        func fail(_ name: String, _ problem: String) -> InventoryError {
            InventoryError(host: host, variable: name, origin: origins[name], problem)
        }
        for name in passwordNames where variables[name] != nil && variables[name] != .null {
            throw fail(
                name,
                "runbook takes no password from an inventory: use an SSH key or ssh-agent, and passwordless sudo (NOPASSWD) for become")
        }
        if let kind = variables["ansible_connection"]?.description.lowercased(), !["ssh", "smart", "paramiko", "local"].contains(kind) {
            throw fail("ansible_connection", "`\(kind)` is not supported: runbook connects over SSH (`ssh`) or runs on the controller (`local`)")
        }
        if let method = variables["ansible_become_method"], method != .null, method.description != "sudo" {
            throw fail("ansible_become_method", "`\(method)` is not supported: runbook becomes another user with sudo only")
        }
        for name in ["ansible_port", "ansible_ssh_port"] {
            if let value = variables[name], value != .null, value.intValue.map({ (1...65535).contains($0) }) != true {
                throw fail(name, "`\(value)` is not a port (1-65535)")
            }
        }
        if case .failure(let error) = sshOptions(variables) {
            throw fail(error.variable ?? "ansible_ssh_common_args", error.message)
        }
    }
}

extension InventoryError {
    /// A problem not yet tied to a host; `check` adds the host and the file.
    init(variable: String, _ problem: String) {
        self.init(problem)
        self.variable = variable
    }
}
