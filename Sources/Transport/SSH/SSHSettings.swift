/// Everything needed to open one SSH connection (resolved from inventory and ssh_config).
public struct SSHSettings: Sendable, Hashable {
    /// The inventory name, for messages.
    public var name: String
    public var address: String
    public var port: Int
    public var user: String
    /// Identity files tried first; ~/.ssh/id_ed25519, id_ecdsa and id_rsa are tried after them.
    public var identityFiles: [String]
    public var knownHostsFiles: [String]
    /// Record unknown host keys (never changed ones) instead of refusing the host.
    public var acceptNewHostKeys: Bool
    public var connectTimeout: Double
    public var serverAliveInterval: Double
    public var serverAliveCountMax: Int
    public var proxyCommand: String?
    /// A jump host's settings; the connection reaches `address:port` through it.
    public indirect enum Jump: Sendable, Hashable {
        case none
        case through(SSHSettings)
        /// The chain could not be resolved (a ProxyJump loop): connecting fails with this message.
        case invalid(String)
    }
    public var jump: Jump
    /// The ssh-agent socket (SSH_AUTH_SOCK), if any.
    public var agentSocket: String?
    /// The passphrase for encrypted keys (RUNBOOK_KEY_PASSPHRASE).
    public var passphrase: String?
    public var home: String
    /// Channels open at once on this connection; OpenSSH allows 10 (MaxSessions) by default.
    public var maxChannels: Int
    /// IdentitiesOnly: only agent keys whose public half matches one of `identityFiles`.
    public var identitiesOnly = false
    /// Read after `knownHostsFiles` (GlobalKnownHostsFile); never written.
    public var globalKnownHostsFiles: [String] = []
    /// HashKnownHosts: record new keys as `|1|salt|hash` names.
    public var hashKnownHosts = false
    /// HostKeyAlias: the name looked up and recorded in known_hosts instead of the address.
    public var hostKeyAlias: String?
    /// The fingerprint (`SHA256:…`) the host must present, whatever known_hosts says: `rollback RUN`
    /// refuses a host whose key changed since the run.
    public var expectedHostKey: String? = nil

    public init(
        name: String, address: String, port: Int = 22, user: String, identityFiles: [String] = [], knownHostsFiles: [String],
        acceptNewHostKeys: Bool = false, connectTimeout: Double = 10, serverAliveInterval: Double = 0, serverAliveCountMax: Int = 3,
        proxyCommand: String? = nil, jump: Jump = .none, agentSocket: String? = nil, passphrase: String? = nil, home: String,
        maxChannels: Int = 8
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.knownHostsFiles = knownHostsFiles
        self.acceptNewHostKeys = acceptNewHostKeys
        self.connectTimeout = connectTimeout
        self.serverAliveInterval = serverAliveInterval
        self.serverAliveCountMax = serverAliveCountMax
        self.proxyCommand = proxyCommand
        self.jump = jump
        self.agentSocket = agentSocket
        self.passphrase = passphrase
        self.home = home
        self.maxChannels = maxChannels
    }

    /// How the host is named in known_hosts: `host`, or `[host]:port` when the port is not 22
    /// (HostKeyAlias replaces both, as in ssh).
    public var knownHostsName: String {
        if let hostKeyAlias { return hostKeyAlias }
        return port == 22 ? address : "[\(address)]:\(port)"
    }
}
