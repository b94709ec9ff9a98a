import Foundation
import Inventory
import Transport

/// Builds the transport for a host: the local machine, or SSH with the host's merged settings.
public struct TransportFactory: Sendable {
    public var acceptNewHostKeys: Bool
    public var home: String
    public var agentSocket: String?
    public var passphrase: String?
    /// Makes every host's transport instead (the dry-run printer, tests).
    public var override: (@Sendable (String) -> any Transport)?

    public init(acceptNewHostKeys: Bool, home: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.acceptNewHostKeys = acceptNewHostKeys
        self.home = home
        agentSocket = environment["SSH_AUTH_SOCK"]
        passphrase = environment["RUNBOOK_KEY_PASSPHRASE"]
    }

    public func transport(host: String, connection: HostConnection) -> any Transport {
        if let override { return override(host) }
        if connection.isLocal { return LocalTransport(host: host) }
        return SSHTransport(settings: settings(host: host, connection: connection))
    }

    func settings(host: String, connection: HostConnection) -> SSHSettings {
        let accept = acceptNewHostKeys || ["accept-new", "no", "off"].contains(connection.strictHostKeyChecking.lowercased())
        var settings = SSHSettings(
            name: host, address: connection.address, port: connection.port, user: connection.user, identityFiles: connection.identityFiles,
            knownHostsFiles: connection.knownHostsFiles, acceptNewHostKeys: accept, connectTimeout: Double(connection.connectTimeout),
            serverAliveInterval: Double(connection.serverAliveInterval), serverAliveCountMax: connection.serverAliveCountMax,
            proxyCommand: connection.proxyCommand, agentSocket: agentSocket, passphrase: passphrase, home: home)
        if let jump = connection.proxyJump, let hop = Self.parseJump(jump, defaultUser: connection.user) {
            var jumpSettings = settings
            jumpSettings.name = "\(host) (jump \(hop.address))"
            jumpSettings.address = hop.address
            jumpSettings.port = hop.port
            jumpSettings.user = hop.user
            jumpSettings.proxyCommand = nil
            jumpSettings.jump = .none
            settings.jump = .through(jumpSettings)
            settings.proxyCommand = nil
        }
        return settings
    }

    /// `[user@]host[:port]`; only the first hop of a comma-separated ProxyJump list is used.
    static func parseJump(_ text: String, defaultUser: String) -> (user: String, address: String, port: Int)? {
        guard let first = text.split(separator: ",").first.map(String.init), !first.isEmpty, first.lowercased() != "none" else { return nil }
        var rest = first
        var user = defaultUser
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = String(rest[rest.index(after: at)...])
        }
        var port = 22
        if let colon = rest.lastIndex(of: ":"), let value = Int(rest[rest.index(after: colon)...]) {
            port = value
            rest = String(rest[..<colon])
        }
        return (user, rest, port)
    }
}
