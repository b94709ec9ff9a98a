import CLibSSH2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Handshake, host key verification and authentication, done in blocking mode with ConnectTimeout;
/// the session is switched to non-blocking afterwards for its channels.
enum SessionSetup {
    static let hostKeyOrder = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]

    /// Opens an authenticated session over a stream from `makeSocket` (called again when the host key
    /// type must be asked for differently).
    static func open(_ settings: SSHSettings, makeSocket: () throws(TransportError) -> Int32) throws(TransportError) -> (
        session: OpaquePointer, fd: Int32
    ) {
        _ = LibSSH2.initialized
        let hostKeys = HostKeyCheck(settings)
        let fd = try makeSocket()
        guard let session = rb_session_init() else {
            Glibc.close(fd)
            throw TransportError(.connect, host: settings.name, "libssh2 could not create a session")
        }
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, Int(settings.connectTimeout * 1000))
        // As ssh orders HostKeyAlgorithms: the types known_hosts records for the host first.
        _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, hostKeys.preferredTypes(hostKeyOrder).joined(separator: ","))
        let handshake = libssh2_session_handshake(session, libssh2_socket_t(fd))
        if handshake != 0 {
            let (_, message) = LibSSH2.lastError(session)
            release(session, fd)
            throw TransportError(.connect, host: settings.name, handshakeMessage(handshake, message, settings))
        }
        if SSHNotices.debug { describeSession(session, settings) }
        do {
            try verifyHostKey(session, hostKeys)
            try authenticate(session, settings)
        } catch {
            release(session, fd)
            throw error
        }
        libssh2_session_set_timeout(session, 0)
        libssh2_session_set_blocking(session, 0)
        if settings.serverAliveInterval > 0 {
            libssh2_keepalive_config(session, 1, UInt32(max(1, settings.serverAliveInterval)))
        }
        return (session, fd)
    }

    static func release(_ session: OpaquePointer, _ fd: Int32) {
        libssh2_session_set_blocking(session, 1)
        _ = rb_session_disconnect(session, "bye")
        libssh2_session_free(session)
        Glibc.close(fd)
    }

    private static func handshakeMessage(_ code: Int32, _ message: String, _ settings: SSHSettings) -> String {
        let target = "\(settings.address):\(settings.port)"
        switch code {
        case LIBSSH2_ERROR_TIMEOUT:
            return "no SSH answer from \(target) within ConnectTimeout \(Int(settings.connectTimeout))s"
        case LIBSSH2_ERROR_KEX_FAILURE:
            return
                "key exchange with \(target) failed (\(message)): libssh2 1.10 offers no chacha20-poly1305, AES-GCM or encrypt-then-MAC, and accepts RSA host keys only with SHA-1 ssh-rsa; the server must allow aes*-ctr with hmac-sha2 and have an ed25519 or ecdsa host key"
        case LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_SOCKET_RECV, -8:
            return "\(target) closed the connection during the SSH handshake (\(message))"
        default:
            return "SSH handshake with \(target) failed: \(message) (\(code))"
        }
    }

    /// Checks the server's key against known_hosts as OpenSSH does (see HostKeyCheck).
    static func verifyHostKey(_ session: OpaquePointer, _ check: HostKeyCheck) throws(TransportError) {
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(session, &length, &type) else {
            throw TransportError(.hostKey, host: check.settings.name, "the server sent no host key")
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: key, count: length))
        // Before known_hosts: with accept-new a changed key must not be recorded either.
        if let expected = check.settings.expectedHostKey, fingerprintSHA256(session) != expected {
            throw TransportError(
                .hostKey, host: check.settings.name,
                "the host now presents the key \(fingerprintSHA256(session)), not \(expected) that the run recorded: it may be another machine; refusing it")
        }
        try check.verify(key: bytes, type: KnownHosts.blobType(bytes) ?? LibSSH2.keyTypeName(type), fingerprint: fingerprintSHA256(session))
    }

    /// `SHA256:…` as OpenSSH prints it (base64 without padding).
    static func fingerprintSHA256(_ session: OpaquePointer) -> String {
        guard let hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) else { return "SHA256:?" }
        let data = Data(bytes: hash, count: 32)
        return "SHA256:" + data.base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    // MARK: - Authentication

    /// -vvv: what the key exchange agreed on, and what the server accepts for authentication.
    static func describeSession(_ session: OpaquePointer, _ settings: SSHSettings) {
        func method(_ type: Int32) -> String { libssh2_session_methods(session, type).map { String(cString: $0) } ?? "?" }
        let banner = libssh2_session_banner_get(session).map { String(cString: $0) } ?? "?"
        SSHNotices.debug(
            settings.name,
            "\(settings.address):\(settings.port) (\(banner)): kex \(method(LIBSSH2_METHOD_KEX)), host key \(method(LIBSSH2_METHOD_HOSTKEY)), cipher \(method(LIBSSH2_METHOD_CRYPT_CS))/\(method(LIBSSH2_METHOD_CRYPT_SC)), mac \(method(LIBSSH2_METHOD_MAC_CS))/\(method(LIBSSH2_METHOD_MAC_SC))"
        )
        SSHNotices.debug(
            settings.name, "server host key \(method(LIBSSH2_METHOD_HOSTKEY)) \(fingerprintSHA256(session)), looked up as \(settings.knownHostsName)")
        let user = settings.user
        let methods =
            libssh2_userauth_list(session, user, UInt32(user.utf8.count)).map { String(cString: $0) } ?? "none (the server accepted no authentication)"
        SSHNotices.debug(settings.name, "authentication methods the server accepts for \(user): \(methods)")
    }

    static func authenticate(_ session: OpaquePointer, _ settings: SSHSettings) throws(TransportError) {
        let user = settings.user
        var tried: [String] = []
        // ssh's files: the given ones, or its defaults when none is given.
        let defaults = ["id_rsa", "id_ecdsa", "id_ed25519", "id_dsa"].map { settings.home + "/.ssh/" + $0 }
        let candidates = settings.identityFiles.isEmpty ? defaults : settings.identityFiles
        let keyFiles = candidates.filter { FileManager.default.fileExists(atPath: $0) }.map { ($0, KeyFile(path: $0)) }
        // As ssh: agent keys first; with IdentitiesOnly only those matching one of the files.
        let wanted = Set(keyFiles.compactMap { $0.1?.publicBlob })
        if let socket = settings.agentSocket, !socket.isEmpty, let agent = libssh2_agent_init(session) {
            defer {
                _ = libssh2_agent_disconnect(agent)
                libssh2_agent_free(agent)
            }
            libssh2_agent_set_identity_path(agent, socket)
            if libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 {
                var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
                var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
                var offered = 0
                while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
                    previous = current
                    let blob = current.pointee.blob.map { [UInt8](UnsafeBufferPointer(start: $0, count: Int(current.pointee.blob_len))) } ?? []
                    if settings.identitiesOnly && !wanted.contains(blob) { continue }
                    offered += 1
                    let comment = current.pointee.comment.map { String(cString: $0) } ?? "?"
                    let result = libssh2_agent_userauth(agent, user, current)
                    SSHNotices.debug(settings.name, "agent key \(comment): \(result == 0 ? "accepted" : "refused (\(result))")")
                    if result == 0 { return }
                }
                if offered > 0 { tried.append("\(offered) key(s) of ssh-agent (\(socket))") }
            }
        }
        var rsaRefused: String?
        var passphraseProblem: String?
        for (path, info) in keyFiles {
            // Asked before any connection (KeyPassphrases.prepare), never here: hosts connect in parallel.
            let passphrase = settings.passphrase ?? KeyPassphrases.shared.passphrase(for: path)
            if info?.encrypted == true, passphrase == nil {
                passphraseProblem = "\(path) is encrypted: set RUNBOOK_KEY_PASSPHRASE or run on a terminal to be asked"
                continue
            }
            let result = rb_userauth_publickey_fromfile(session, user, nil, path, passphrase ?? "")
            SSHNotices.debug(
                settings.name,
                "key \(path) (\(info?.keyType ?? "?")): \(result == 0 ? "accepted" : "refused: \(LibSSH2.lastError(session).message) (\(result))")")
            if result == 0 { return }
            tried.append(path)
            if info?.isRSA == true, result == LIBSSH2_ERROR_AUTHENTICATION_FAILED || result == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED {
                rsaRefused = path
            } else if result == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED || result == LIBSSH2_ERROR_FILE, info?.encrypted == true {
                passphraseProblem = "cannot decrypt \(path): wrong passphrase (RUNBOOK_KEY_PASSPHRASE)"
            }
        }
        if let rsaRefused {
            throw TransportError(
                .authentication, host: settings.name,
                "\(user)@\(settings.address) refused the RSA key \(rsaRefused): libssh2 1.10 signs RSA keys only with SHA-1 `ssh-rsa`, which OpenSSH 8.8 and later refuse. Use an ed25519 key (ssh-keygen -t ed25519) or an ecdsa key"
            )
        }
        if let passphraseProblem {
            throw TransportError(.authentication, host: settings.name, passphraseProblem)
        }
        let what = tried.isEmpty ? "no ssh-agent and no key files (looked for \(candidates.joined(separator: ", ")))" : tried.joined(separator: ", ")
        throw TransportError(.authentication, host: settings.name, "\(user)@\(settings.address) accepted none of: \(what)")
    }
}
