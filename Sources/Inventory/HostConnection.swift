import Foundation

/// How to reach one host: merged from the inventory, then ssh_config, then defaults.
public struct HostConnection: Sendable, Hashable {
    /// True for the controller itself (`--hosts local`): no SSH.
    public var isLocal: Bool
    public var address: String
    public var port: Int
    public var user: String
    public var identityFiles: [String]
    public var proxyJump: String?
    public var proxyCommand: String?
    public var knownHostsFiles: [String]
    /// `yes` refuses unknown keys; `accept-new` records them; `no`/`off` is treated as `accept-new`
    /// for unknown keys only (a changed key is always refused).
    public var strictHostKeyChecking: String
    public var connectTimeout: Int
    public var serverAliveInterval: Int
    public var serverAliveCountMax: Int

    /// `ansible_become` (or `-b`): commands run through sudo as `becomeUser`.
    public var become = false
    /// `ansible_become_user`; root when unset.
    public var becomeUser = "root"
    /// `-o IdentitiesOnly=yes` in the inventory's ssh arguments.
    public var identitiesOnly = false

    /// The connection of the controller itself.
    public static func local(user: String) -> HostConnection {
        HostConnection(
            isLocal: true, address: "localhost", port: 0, user: user, identityFiles: [], proxyJump: nil, proxyCommand: nil,
            knownHostsFiles: [], strictHostKeyChecking: "yes", connectTimeout: 10, serverAliveInterval: 0, serverAliveCountMax: 3)
    }

    /// Resolves a host's connection as Ansible hands it to ssh: `ansible_*` variables first, then the
    /// `-o` options of `ansible_ssh_common_args`/`_extra_args`, then ssh_config, then defaults.
    /// Variables runbook refuses are reported by `ConnectionVariables.check` before this runs.
    public static func resolve(name: String, variables: [String: InventoryValue], sshConfig: SSHConfig, home: String, localUser: String)
        -> HostConnection
    {
        func variable(_ names: String...) -> String? {
            for name in names { if let value = variables[name], value != .null { return value.description } }
            return nil
        }
        let options = (try? ConnectionVariables.sshOptions(variables).get()) ?? []
        func option(_ keyword: String) -> String? { options.first { $0.keyword == keyword }?.value }
        func expand(_ path: String) -> String { path.hasPrefix("~/") ? home + path.dropFirst() : path }
        var connection: HostConnection
        if ConnectionVariables.isLocal(variables) {
            connection = .local(user: localUser)
        } else {
            let inventoryAddress = variable("ansible_host", "ansible_ssh_host")
            let inventoryUser = variable("ansible_user", "ansible_ssh_user") ?? option("User")
            let inventoryPort = (variable("ansible_port", "ansible_ssh_port") ?? option("Port")).flatMap { Int($0) }
            // ssh_config is matched against the name ssh would be given: the address when set, else the name.
            let sshName = inventoryAddress ?? name
            let ssh = sshConfig.settings(for: sshName, user: inventoryUser, port: inventoryPort)
            var identities: [String] = []
            if let key = variable("ansible_ssh_private_key_file", "ansible_private_key_file") { identities.append(expand(key)) }
            identities += options.filter { $0.keyword == "IdentityFile" }.map { expand($0.value) }
            identities += ssh.identityFiles
            let knownFromOption = option("UserKnownHostsFile").map { $0.split(separator: " ").map { expand(String($0)) } }
            let knownHosts = knownFromOption ?? (ssh.userKnownHostsFiles.isEmpty ? [home + "/.ssh/known_hosts"] : ssh.userKnownHostsFiles)
            // Of ProxyJump and ProxyCommand ssh uses whichever it reads first: the options come first.
            let firstProxy = options.first { $0.keyword == "ProxyJump" || $0.keyword == "ProxyCommand" }
            var proxyJump = variable("ansible_ssh_proxy_jump") ?? ssh.proxyJump
            var proxyCommand = variable("ansible_ssh_proxy_command") ?? ssh.proxyCommand
            if let firstProxy {
                proxyJump = firstProxy.keyword == "ProxyJump" ? firstProxy.value : nil
                proxyCommand = firstProxy.keyword == "ProxyCommand" ? firstProxy.value : nil
                if proxyJump?.lowercased() == "none" { proxyJump = nil }
                if proxyCommand?.lowercased() == "none" { proxyCommand = nil }
            }
            connection = HostConnection(
                isLocal: false, address: option("HostName") ?? inventoryAddress ?? ssh.hostName ?? name,
                port: inventoryPort ?? ssh.port ?? 22, user: inventoryUser ?? ssh.user ?? localUser, identityFiles: identities,
                proxyJump: proxyJump, proxyCommand: proxyCommand, knownHostsFiles: knownHosts,
                strictHostKeyChecking: option("StrictHostKeyChecking") ?? ssh.strictHostKeyChecking ?? "yes",
                connectTimeout: option("ConnectTimeout").flatMap { Int($0) } ?? ssh.connectTimeout ?? 10,
                serverAliveInterval: option("ServerAliveInterval").flatMap { Int($0) } ?? ssh.serverAliveInterval ?? 0,
                serverAliveCountMax: option("ServerAliveCountMax").flatMap { Int($0) } ?? ssh.serverAliveCountMax ?? 3)
            connection.identitiesOnly = ["yes", "true"].contains(option("IdentitiesOnly")?.lowercased() ?? "")
        }
        connection.become = ConnectionVariables.become(variables) ?? false
        connection.becomeUser = variable("ansible_become_user") ?? "root"
        return connection
    }

    /// `user@address:port`, plus the proxy, for plans and messages.
    public var summary: String {
        if isLocal { return become ? "local (no SSH; sudo as \(becomeUser))" : "local (no SSH)" }
        var text = "\(user)@\(address.contains(":") ? "[\(address)]" : address):\(port)"
        if let proxyJump { text += " via \(proxyJump)" }
        if let proxyCommand { text += " via ProxyCommand `\(proxyCommand)`" }
        if become { text += " (sudo as \(becomeUser))" }
        return text
    }
}
