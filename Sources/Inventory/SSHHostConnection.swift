/// runbook's defaults where ssh_config says nothing, and the step from ssh -G's answer to a connection.
extension HostConnection {
    /// ServerAliveInterval when ssh_config sets none (ssh's own default is 0, off): a dead host is
    /// noticed within 45 s instead of after the kernel's TCP timeout.
    public static let defaultServerAliveInterval = 15
    public static let defaultServerAliveCountMax = 3
    /// ConnectTimeout when ssh_config sets none (ssh waits for the kernel's TCP timeout).
    public static let defaultConnectTimeout = 10
    /// ssh's default identity files, in its order, restricted to the key types libssh2 1.10 can use.
    public static let defaultIdentityNames = ["id_rsa", "id_ecdsa", "id_ed25519", "id_dsa"]

    /// A connection from ssh_config's resolution; `identityFile` is the inventory's key (ssh's `-i`).
    static func fromSSH(_ ssh: SSHHostConfig, identityFile: String?, config: SSHConfig, home: String, localUser: String, jumps: Bool = true)
        -> HostConnection
    {
        var identities = identityFile.map { [SSHTokens.tilde($0, home: home)] } ?? []
        identities += ssh.identityFiles.filter { !identities.contains($0) }
        if identities.isEmpty { identities = defaultIdentityNames.map { home + "/.ssh/" + $0 } }
        let userFiles =
            ssh.userKnownHostsNone
            ? [] : (ssh.userKnownHostsFiles.isEmpty ? [home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"] : ssh.userKnownHostsFiles)
        let globalFiles =
            ssh.globalKnownHostsFiles.isEmpty
            ? ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]
            : ssh.globalKnownHostsFiles.filter { $0.lowercased() != "none" }.map { SSHTokens.tilde($0, home: home) }
        let strict = ssh.strictHostKeyChecking ?? "yes"
        var connection = HostConnection(
            isLocal: false, address: ssh.hostName ?? ssh.hostArgument, port: ssh.port ?? 22, user: ssh.user ?? localUser, identityFiles: identities,
            proxyJump: ssh.proxyJump, proxyCommand: ssh.proxyCommand, knownHostsFiles: userFiles,
            strictHostKeyChecking: strict == "ask" ? "yes" : strict,
            connectTimeout: (ssh.connectTimeout ?? 0) > 0 ? (ssh.connectTimeout ?? defaultConnectTimeout) : defaultConnectTimeout,
            serverAliveInterval: ssh.serverAliveInterval ?? defaultServerAliveInterval,
            serverAliveCountMax: ssh.serverAliveCountMax ?? defaultServerAliveCountMax)
        connection.globalKnownHostsFiles = globalFiles
        connection.identitiesOnly = ssh.identitiesOnly ?? false
        connection.identityAgent = ssh.identityAgent
        connection.hashKnownHosts = ssh.hashKnownHosts ?? false
        connection.hostKeyAlias = ssh.hostKeyAlias
        if jumps {
            let (hosts, problem) = config.jumpHosts(of: ssh)
            connection.jumpHosts = hosts.map { fromSSH($0, identityFile: nil, config: config, home: home, localUser: localUser, jumps: false) }
            connection.jumpProblem = problem
        }
        return connection
    }
}
