import CLibSSH2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Passphrases of encrypted key files, asked once per file before any connection (not once per
/// host, and never while the live display draws), unless ssh-agent holds the key or
/// RUNBOOK_KEY_PASSPHRASE gives one for every key.
public final class KeyPassphrases: @unchecked Sendable {
    /// The passphrases of this process.
    public static let shared = KeyPassphrases()
    private let lock = NSLock()
    private var known: [String: String] = [:]

    func passphrase(for path: String) -> String? { lock.withLock { known[path] } }

    /// Asks on /dev/tty, echo off, for each encrypted file among `files` that has no passphrase yet
    /// and whose key the agent at `agentSocket` does not hold. Without a terminal nothing is asked.
    public func prepare(files: [String], agentSocket: String?, prompt: (String) -> String? = KeyPassphrases.readFromTerminal) {
        let encrypted = Array(Set(files)).sorted().compactMap { path -> KeyFile? in
            guard passphrase(for: path) == nil, let key = KeyFile(path: path), key.encrypted else { return nil }
            return key
        }
        guard !encrypted.isEmpty else { return }
        let held = Self.agentKeys(agentSocket)
        for key in encrypted where !(key.publicBlob.map(held.contains) ?? false) {
            if let answer = prompt("Enter passphrase for key '\(key.path)': ") { lock.withLock { known[key.path] = answer } }
        }
    }

    /// The public key blobs ssh-agent holds (a local exchange: no server is involved).
    static func agentKeys(_ socket: String?) -> Set<[UInt8]> {
        guard let socket, !socket.isEmpty else { return [] }
        _ = LibSSH2.initialized
        guard let session = rb_session_init() else { return [] }
        defer { libssh2_session_free(session) }
        guard let agent = libssh2_agent_init(session) else { return [] }
        defer {
            _ = libssh2_agent_disconnect(agent)
            libssh2_agent_free(agent)
        }
        libssh2_agent_set_identity_path(agent, socket)
        guard libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 else { return [] }
        var result = Set<[UInt8]>()
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
            if let blob = current.pointee.blob { result.insert([UInt8](UnsafeBufferPointer(start: blob, count: Int(current.pointee.blob_len)))) }
            previous = current
        }
        return result
    }

    /// Reads one line from /dev/tty with echo off (restored afterwards, Ctrl-C too); nil without a terminal.
    public static func readFromTerminal(_ text: String) -> String? { TerminalPrompt.readHidden(text, maximum: 4096) }
}
