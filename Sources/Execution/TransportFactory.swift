import Foundation
import Inventory
import Transport

/// Builds the transport for a host: the local machine, or SSH with the host's merged settings.
public struct TransportFactory: Sendable {
    public var acceptNewHostKeys: Bool
    public var home: String
    public var agentSocket: String?
    public var passphrase: String?
    private let environment: [String: String]
    /// Per host, the host key fingerprint it must present (`rollback RUN`: the one its run recorded).
    public var expectedHostKeys: [String: String] = [:]
    /// Makes every host's transport instead (the dry-run printer, tests).
    public var override: (@Sendable (String) -> any Transport)?
    /// Checked before anything is sent: a reason stops the send (a rollout worker's claim, see `FencedTransport`).
    public var fence: (@Sendable () -> String?)?

    public init(acceptNewHostKeys: Bool, home: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.acceptNewHostKeys = acceptNewHostKeys
        self.home = home
        agentSocket = environment["SSH_AUTH_SOCK"]
        passphrase = environment["RUNBOOK_KEY_PASSPHRASE"]
        self.environment = environment
    }

    public func transport(host: String, connection: HostConnection) -> any Transport {
        let made: any Transport =
            if let override { override(host) } else if connection.isLocal { LocalTransport(host: host) } else {
                SSHTransport(settings: settings(host: host, connection: connection))
            }
        guard let fence else { return made }
        return FencedTransport(inner: made, fence: fence)
    }

    func settings(host: String, connection: HostConnection) -> SSHSettings {
        var settings = plain(name: host, connection: connection)
        settings.expectedHostKey = expectedHostKeys[host]
        if let problem = connection.jumpProblem {
            settings.jump = .invalid(problem)
            return settings
        }
        // Every hop reached through the one before it; only the first may have its own ProxyCommand.
        var previous: SSHSettings.Jump = .none
        for (index, hop) in connection.jumpHosts.enumerated() {
            var hopSettings = plain(name: "\(host) (jump \(index + 1): \(hop.address))", connection: hop)
            if index > 0 { hopSettings.proxyCommand = nil }
            hopSettings.jump = previous
            previous = .through(hopSettings)
        }
        if !connection.jumpHosts.isEmpty {
            settings.jump = previous
            settings.proxyCommand = nil
        }
        return settings
    }

    /// Asks, once per encrypted key file and before any connection, the passphrases the hosts'
    /// keys need (none when RUNBOOK_KEY_PASSPHRASE is set, or ssh-agent holds the key).
    public func preparePassphrases(for connections: [HostConnection]) {
        guard passphrase == nil, override == nil else { return }
        let remote = connections.filter { !$0.isLocal }
        let files = remote.flatMap { [$0] + $0.jumpHosts }.flatMap(\.identityFiles)
        let agents = Set(remote.flatMap { [$0] + $0.jumpHosts }.map { agent($0.identityAgent) })
        KeyPassphrases.shared.prepare(files: files, agentSocket: agents.compactMap { $0 }.first)
    }

    private func plain(name: String, connection: HostConnection) -> SSHSettings {
        let accept = acceptNewHostKeys || ["accept-new", "no", "off"].contains(connection.strictHostKeyChecking.lowercased())
        var settings = SSHSettings(
            name: name, address: connection.address, port: connection.port, user: connection.user, identityFiles: connection.identityFiles,
            knownHostsFiles: connection.knownHostsFiles, acceptNewHostKeys: accept, connectTimeout: Double(connection.connectTimeout),
            serverAliveInterval: Double(connection.serverAliveInterval), serverAliveCountMax: connection.serverAliveCountMax,
            proxyCommand: connection.proxyCommand, agentSocket: agent(connection.identityAgent), passphrase: passphrase, home: home)
        settings.identitiesOnly = connection.identitiesOnly
        settings.globalKnownHostsFiles = connection.globalKnownHostsFiles
        settings.hashKnownHosts = connection.hashKnownHosts
        settings.hostKeyAlias = connection.hostKeyAlias
        return settings
    }

    /// IdentityAgent as ssh reads it: `none`, `SSH_AUTH_SOCK` or `$NAME` (that variable), or a path.
    private func agent(_ identityAgent: String?) -> String? {
        guard let identityAgent else { return agentSocket }
        if identityAgent.lowercased() == "none" { return nil }
        if identityAgent == "SSH_AUTH_SOCK" { return agentSocket }
        if identityAgent.hasPrefix("$"), !identityAgent.hasPrefix("${") { return environment[String(identityAgent.dropFirst())] }
        return identityAgent
    }
}
