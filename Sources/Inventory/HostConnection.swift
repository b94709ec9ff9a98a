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

    /// The connection of the controller itself.
    public static func local(user: String) -> HostConnection {
        HostConnection(
            isLocal: true, address: "localhost", port: 0, user: user, identityFiles: [], proxyJump: nil, proxyCommand: nil,
            knownHostsFiles: [], strictHostKeyChecking: "yes", connectTimeout: 10, serverAliveInterval: 0, serverAliveCountMax: 3)
    }

    /// Resolves a host's connection: inventory variables first, ssh_config second, defaults last.
    public static func resolve(name: String, variables: [String: InventoryValue], sshConfig: SSHConfig, home: String, localUser: String)
        -> HostConnection
    {
        func variable(_ names: String...) -> String? {
            for name in names { if let value = variables[name], value != .null { return value.description } }
            return nil
        }
        let inventoryAddress = variable("ansible_host", "host", "ansible_ssh_host")
        let inventoryUser = variable("ansible_user", "user", "ansible_ssh_user")
        let inventoryPort = variable("ansible_port", "ssh_port", "ansible_ssh_port").flatMap { Int($0) }
        // ssh_config is matched against the name ssh would be given: the address when set, else the name.
        let sshName = inventoryAddress ?? name
        let ssh = sshConfig.settings(for: sshName, user: inventoryUser, port: inventoryPort)
        var identities: [String] = []
        if let key = variable("ansible_ssh_private_key_file", "identity_file", "ansible_private_key_file") {
            identities.append(key.hasPrefix("~/") ? home + key.dropFirst() : key)
        }
        identities += ssh.identityFiles
        let knownHosts = ssh.userKnownHostsFiles.isEmpty ? [home + "/.ssh/known_hosts"] : ssh.userKnownHostsFiles
        return HostConnection(
            isLocal: false, address: inventoryAddress ?? ssh.hostName ?? name, port: inventoryPort ?? ssh.port ?? 22,
            user: inventoryUser ?? ssh.user ?? localUser, identityFiles: identities,
            proxyJump: variable("ansible_ssh_proxy_jump", "proxy_jump") ?? ssh.proxyJump,
            proxyCommand: variable("ansible_ssh_proxy_command", "proxy_command") ?? ssh.proxyCommand,
            knownHostsFiles: knownHosts, strictHostKeyChecking: ssh.strictHostKeyChecking ?? "yes",
            connectTimeout: ssh.connectTimeout ?? 10, serverAliveInterval: ssh.serverAliveInterval ?? 0,
            serverAliveCountMax: ssh.serverAliveCountMax ?? 3)
    }

    /// `user@address:port`, plus the proxy, for plans and messages.
    public var summary: String {
        if isLocal { return "local (no SSH)" }
        var text = "\(user)@\(address.contains(":") ? "[\(address)]" : address):\(port)"
        if let proxyJump { text += " via \(proxyJump)" }
        if let proxyCommand { text += " via ProxyCommand `\(proxyCommand)`" }
        return text
    }
}
