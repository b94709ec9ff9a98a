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
    /// Known-hosts files read after `knownHostsFiles` (GlobalKnownHostsFile); never written.
    public var globalKnownHostsFiles: [String] = []
    /// IdentityAgent: a socket path, `none`, or `SSH_AUTH_SOCK` (nil: the environment's).
    public var identityAgent: String?
    /// HashKnownHosts: new known_hosts entries are written hashed.
    public var hashKnownHosts = false
    /// HostKeyAlias: the name looked up in known_hosts instead of the address.
    public var hostKeyAlias: String?
    /// The ProxyJump hosts, first (outermost) to last, each resolved from ssh_config on its own.
    public var jumpHosts: [HostConnection] = []
    /// Why the jump hosts could not be resolved (a loop), reported when connecting.
    public var jumpProblem: String?

    /// `ansible_become` (or `-b`): commands run through sudo as `becomeUser`.
    public var become = false
    /// `ansible_become_user`; root when unset.
    public var becomeUser = "root"
    /// IdentitiesOnly (ssh_config or `-o` in the inventory's ssh arguments): only agent keys that
    /// match `identityFiles` are offered.
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
        var connection: HostConnection
        if ConnectionVariables.isLocal(variables) {
            connection = .local(user: localUser)
        } else {
            let inventoryAddress = variable("ansible_host", "ansible_ssh_host")
            let inventoryUser = variable("ansible_user", "ansible_ssh_user")
            let inventoryPort = variable("ansible_port", "ansible_ssh_port").flatMap { Int($0) }
            // ssh_config is matched against the name ssh would be given (the address when set, else the
            // name); the inventory's user and port act as ssh's -l and -p, its `-o` options as -o: all
            // are read before the config files, so they win (first value wins).
            let sshName = inventoryAddress ?? name
            let ssh = sshConfig.settings(for: sshName, user: inventoryUser, port: inventoryPort, options: options.map { ($0.keyword, $0.value) })
            connection = fromSSH(
                ssh, identityFile: variable("ansible_ssh_private_key_file", "ansible_private_key_file"), config: sshConfig, home: home,
                localUser: localUser)
            if let jump = variable("ansible_ssh_proxy_jump"), !options.contains(where: { $0.keyword == "ProxyJump" || $0.keyword == "ProxyCommand" }) {
                var withJump = ssh
                withJump.jumpHops = SSHJump.parse(jump) ?? []
                withJump.proxyJump = jump
                let (hosts, problem) = sshConfig.jumpHosts(of: withJump)
                connection.proxyJump = jump
                connection.proxyCommand = nil
                connection.jumpHosts = hosts.map { fromSSH($0, identityFile: nil, config: sshConfig, home: home, localUser: localUser, jumps: false) }
                connection.jumpProblem = problem
            }
            if let command = variable("ansible_ssh_proxy_command"), !options.contains(where: { $0.keyword == "ProxyJump" || $0.keyword == "ProxyCommand" }) {
                connection.proxyCommand = command
                connection.proxyJump = nil
                connection.jumpHosts = []
            }
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
