import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where warnings and notices of connection set-up go (skipped known_hosts lines, keys recorded by
/// --accept-new-host-keys): standard error unless the program installs its own handler.
public enum SSHNotices {
    private static let lock = NSLock()
    /// Every installed handler: several runs (or tests) in one process each keep their own.
    nonisolated(unsafe) private static var handlers: [Int: @Sendable (String) -> Void] = [:]
    nonisolated(unsafe) private static var nextToken = 0

    /// Adds a place notices go (the CLI sends them to its event stream); returns the token that removes it.
    public static func addHandler(_ handler: @escaping @Sendable (String) -> Void) -> Int {
        lock.withLock {
            nextToken += 1
            handlers[nextToken] = handler
            return nextToken
        }
    }

    /// Removes one handler; with none left, notices go to standard error again.
    public static func removeHandler(_ token: Int) { _ = lock.withLock { handlers.removeValue(forKey: token) } }

    private static let debugFlag = NSLock()
    nonisolated(unsafe) private static var debugging = false

    /// `-vvv`: each connection's negotiated methods, host key, the server's authentication methods
    /// and every key tried (libssh2 1.10 on Debian has no trace output of its own).
    public static var debug: Bool {
        get { debugFlag.withLock { debugging } }
        set { debugFlag.withLock { debugging = newValue } }
    }

    /// A diagnostic line, posted only in debug mode.
    static func debug(_ host: String, _ text: @autoclosure () -> String) {
        if debug { post("debug: \(host): \(text())") }
    }

    static func post(_ text: String) {
        let current = lock.withLock { handlers.sorted { $0.key < $1.key }.map(\.value) }
        if !current.isEmpty {
            for handler in current { handler(text) }
        } else {
            let line = Array("runbook: \(text)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }
}

/// The host-key decision of one connection, made against known_hosts read by runbook itself.
struct HostKeyCheck {
    let settings: SSHSettings
    let entries: [KnownHostEntry]

    /// Reads every known_hosts file (user files, then global ones) and warns about skipped lines once.
    init(_ settings: SSHSettings) {
        self.settings = settings
        let (entries, warnings) = KnownHosts.read(settings.knownHostsFiles + settings.globalKnownHostsFiles)
        self.entries = entries
        for warning in Self.newWarnings(warnings) { SSHNotices.post("warning: known_hosts \(warning)") }
    }

    private static let warnedLock = NSLock()
    nonisolated(unsafe) private static var warned = Set<String>()

    /// A bad line is reported once per run, not once per host.
    private static func newWarnings(_ warnings: [String]) -> [String] {
        warnedLock.withLock { warnings.filter { warned.insert($0).inserted } }
    }

    /// The host key types to ask the server for: those recorded for the host first.
    func preferredTypes(_ supported: [String]) -> [String] {
        var recorded = KnownHosts.recordedTypes(name: settings.knownHostsName, entries: entries)
        if settings.hostKeyAlias == nil, settings.port != 22 { recorded += KnownHosts.recordedTypes(name: settings.address, entries: entries) }
        recorded = recorded.reduce(into: []) { list, type in if supported.contains(type) && !list.contains(type) { list.append(type) } }
        return recorded + supported.filter { !recorded.contains($0) }
    }

    /// Accepts the key, records it (accept-new), or throws the refusal OpenSSH would print.
    func verify(key: [UInt8], type: String, fingerprint: String) throws(TransportError) {
        let name = settings.knownHostsName
        let label = Self.label(type)
        let userFile = settings.knownHostsFiles.first ?? settings.home + "/.ssh/known_hosts"
        switch decision(key: key) {
        case .known:
            return
        case .revoked(let entry):
            throw TransportError(
                .hostKey, host: settings.name,
                "the \(label) host key of \(name) (\(fingerprint)) is marked @revoked in \(entry.file):\(entry.line): refusing the host (a stolen key may be impersonating it)"
            )
        case .changed(let entry):
            throw TransportError(
                .hostKey, host: settings.name,
                "REMOTE HOST IDENTIFICATION HAS CHANGED: the \(label) host key of \(name) is now \(fingerprint); the offending key is in \(entry.file):\(entry.line). Refusing the host (never accepted, even with --accept-new-host-keys). If the change is expected, remove the old key with: ssh-keygen -f \"\(entry.file)\" -R \"\(name)\""
            )
        case .certificateOnly(let entry):
            throw TransportError(
                .hostKey, host: settings.name,
                "host certificates are not supported: \(name) is known only through the @cert-authority line \(entry.file):\(entry.line), and its \(label) key \(fingerprint) matches no plain known_hosts entry. Add the host's own key to \(userFile) after checking its fingerprint"
            )
        case .unknown:
            guard settings.acceptNewHostKeys else {
                let portOption = settings.port == 22 ? "" : " -p \(settings.port)"
                throw TransportError(
                    .hostKey, host: settings.name,
                    "no \(label) host key is known for \(name) and strict checking is on (server's key: \(fingerprint)). Check the fingerprint, then run with --accept-new-host-keys, or add it with: ssh-keyscan -t \(type)\(portOption) \(settings.address) >> \"\(userFile)\""
                )
            }
            try record(key: key, type: type, file: userFile, fingerprint: fingerprint)
        }
    }

    /// As ssh: a key unknown under `[host]:port` is looked up again under the bare host, and
    /// only a match there counts.
    func decision(key: [UInt8]) -> KnownHosts.Decision {
        let first = KnownHosts.check(key: key, name: settings.knownHostsName, entries: entries)
        guard first == .unknown, settings.hostKeyAlias == nil, settings.port != 22 else { return first }
        if case .known(let entry) = KnownHosts.check(key: key, name: settings.address, entries: entries) { return .known(entry) }
        return first
    }

    /// "ssh-ed25519" → "ED25519", as OpenSSH names key types in messages.
    static func label(_ type: String) -> String {
        if type.hasPrefix("ecdsa") { return "ECDSA" }
        if type == "ssh-rsa" { return "RSA" }
        if type == "ssh-dss" { return "DSA" }
        return type.replacingOccurrences(of: "ssh-", with: "").uppercased()
    }

    /// Appends the key under an exclusive lock with O_APPEND, after reading the file again under the
    /// lock: a parallel connection may have recorded this host meanwhile (then its key decides).
    func record(key: [UInt8], type: String, file: String, fingerprint: String) throws(TransportError) {
        let directory = (file as NSString).deletingLastPathComponent
        if !directory.isEmpty { mkdir(directory, 0o700) }
        let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TransportError(.hostKey, host: settings.name, "cannot open \(file) to record the new host key: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else {
            throw TransportError(.hostKey, host: settings.name, "cannot lock \(file): \(String(cString: strerror(errno)))")
        }
        let name = settings.knownHostsName
        switch KnownHosts.check(key: key, name: name, entries: KnownHosts.read([file]).entries) {
        case .known: return
        case .unknown: break
        default:
            throw TransportError(.hostKey, host: settings.name, "another key of \(name) was recorded in \(file) while connecting: refusing the host")
        }
        var salt = [UInt8](repeating: 0, count: 20)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        let written = settings.hashKnownHosts ? KnownHosts.hashed(name, salt: salt) : name
        let line = Array("\(written) \(type) \(Data(key).base64EncodedString())\n".utf8)
        let count = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard count == line.count else {
            throw TransportError(.hostKey, host: settings.name, "cannot write \(file): \(String(cString: strerror(errno)))")
        }
        SSHNotices.post("added the \(Self.label(type)) host key \(fingerprint) of \(name) to \(file) (--accept-new-host-keys)")
    }
}
