/// ProxyJump chains, followed as ssh follows them.
extension SSHConfig {
    /// Chains longer than this are taken for a loop in the configuration.
    static let maxJumpDepth = 16

    /// The hosts a connection to `config` passes through, first (outermost) to last, each resolved as
    /// its own `ssh` would resolve it: the first hop with its own ProxyJump or ProxyCommand followed,
    /// later hops reached through the earlier ones (ssh gives them `-J`, which hides their own).
    public func jumpHosts(of config: SSHHostConfig) -> (hosts: [SSHHostConfig], problem: String?) {
        var chain: [SSHHostConfig] = []
        if let problem = collect(config, into: &chain, depth: 0, seen: [key(config)]) { return (chain, problem) }
        return (chain, nil)
    }

    private func key(_ config: SSHHostConfig) -> String {
        "\(config.user ?? localUser)@\(config.hostName ?? config.hostArgument):\(config.port ?? 22)"
    }

    private func collect(_ config: SSHHostConfig, into chain: inout [SSHHostConfig], depth: Int, seen: Set<String>) -> String? {
        guard let first = config.jumpHops.first else { return nil }
        guard depth < Self.maxJumpDepth else {
            return "ProxyJump: more than \(Self.maxJumpDepth) hops to reach \(config.hostArgument) (a loop in ssh_config?)"
        }
        let head = resolve(first.host, user: first.user, port: first.port, proxyGiven: false)
        if seen.contains(key(head)) {
            return "ProxyJump loop: \(config.hostArgument) is reached through \(first.host), which is reached through itself"
        }
        if let problem = collect(head, into: &chain, depth: depth + 1, seen: seen.union([key(head)])) { return problem }
        chain.append(head)
        for hop in config.jumpHops.dropFirst() {
            chain.append(resolve(hop.host, user: hop.user, port: hop.port, proxyGiven: true))
        }
        return nil
    }
}
