import Foundation
import Wire

/// One usable line of a known_hosts file.
struct KnownHostEntry: Sendable, Hashable {
    enum Marker: Sendable { case none, certAuthority, revoked }
    var file: String
    var line: Int
    var marker: Marker
    /// The host field: a comma list of patterns, or one `|1|salt|hash`.
    var hosts: String
    var keyType: String
    var key: [UInt8]
}

/// known_hosts read as OpenSSH's hostfile.c reads it: a bad line is skipped with a warning and never
/// stops the reading; markers, hashed names, `[host]:port`, wildcards and negation are honoured.
enum KnownHosts {
    static let keyTypes: Set<String> = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss", "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ]
    /// Lines longer than this are skipped (OpenSSH has no limit; 64 KB holds any real key).
    static let maxLine = 65536

    /// Every parsable entry of `files` in order, and a warning (`file:line: why`) per skipped line.
    static func read(_ files: [String]) -> (entries: [KnownHostEntry], warnings: [String]) {
        var entries: [KnownHostEntry] = []
        var warnings: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            for (index, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
                switch parse(raw, file: file, line: index + 1) {
                case .entry(let entry): entries.append(entry)
                case .skip: break
                case .bad(let why): warnings.append("\(file):\(index + 1): \(why); line skipped")
                }
            }
        }
        return (entries, warnings)
    }

    enum Parsed {
        case entry(KnownHostEntry)
        case skip
        case bad(String)
    }

    static func parse(_ raw: Data.SubSequence, file: String, line: Int) -> Parsed {
        guard raw.count <= maxLine else { return .bad("longer than \(maxLine) bytes") }
        let text = String(decoding: raw, as: UTF8.self)
        var rest = Substring(text).drop { $0 == " " || $0 == "\t" }
        if rest.isEmpty || rest.hasPrefix("#") || rest == "\r" { return .skip }
        var marker = KnownHostEntry.Marker.none
        if rest.hasPrefix("@") {
            let word = rest.prefix { $0 != " " && $0 != "\t" }
            switch word {
            case "@cert-authority": marker = .certAuthority
            case "@revoked": marker = .revoked
            default: return .bad("unknown marker \(word)")
            }
            rest = rest.dropFirst(word.count).drop { $0 == " " || $0 == "\t" }
            if rest.hasPrefix("@") { return .bad("more than one marker") }
        }
        let hosts = rest.prefix { $0 != " " && $0 != "\t" }
        rest = rest.dropFirst(hosts.count).drop { $0 == " " || $0 == "\t" }
        if hosts.hasPrefix("|"), hashSalt(String(hosts)) == nil { return .bad("bad hashed host name") }
        let words = rest.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let type = words.first, !type.hasPrefix("#") else { return .bad("no key type after the host names") }
        guard keyTypes.contains(String(type)) else { return .bad("unknown key type \(type.prefix(40))") }
        guard words.count >= 2, let blob = Data(base64Encoded: String(words[1])) else { return .bad("no readable \(type) key") }
        let key = [UInt8](blob)
        guard blobType(key) == String(type) else { return .bad("the key is not of type \(type)") }
        return .entry(KnownHostEntry(file: file, line: line, marker: marker, hosts: String(hosts), keyType: String(type), key: key))
    }

    /// The type name at the start of an SSH public key blob.
    static func blobType(_ key: [UInt8]) -> String? {
        guard key.count >= 4 else { return nil }
        let length = key[0..<4].reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, 4 + length <= key.count else { return nil }
        return String(decoding: key[4..<(4 + length)], as: UTF8.self)
    }

    /// The 20-byte salt of `|1|salt|hash`, or nil when the name is not a valid hashed name.
    static func hashSalt(_ hosts: String) -> [UInt8]? {
        guard hosts.hasPrefix("|1|") else { return nil }
        let parts = hosts.dropFirst(3).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2, let salt = Data(base64Encoded: String(parts[0])), salt.count == 20 else { return nil }
        return [UInt8](salt)
    }

    /// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as ssh-keygen -H and HashKnownHosts write it.
    static func hashed(_ name: String, salt: [UInt8]) -> String {
        let hash = SHA1.hmac(key: salt, message: Array(name.utf8))
        return "|1|" + Data(salt).base64EncodedString() + "|" + Data(hash).base64EncodedString()
    }

    /// match_maybe_hashed: a hashed name equals, or the pattern list matches positively.
    static func matches(_ entry: KnownHostEntry, name: String) -> Bool {
        if entry.hosts.hasPrefix("|") {
            guard let salt = hashSalt(entry.hosts) else { return false }
            return hashed(name, salt: salt) == entry.hosts
        }
        return SSHPattern.matchHostname(name, entry.hosts) == 1
    }

    /// What OpenSSH decides for a presented key.
    enum Decision: Equatable {
        case known(KnownHostEntry)
        case changed(KnownHostEntry)
        case revoked(KnownHostEntry)
        /// Only a @cert-authority line names the host (runbook cannot use host certificates).
        case certificateOnly(KnownHostEntry)
        case unknown
    }

    /// check_hostkeys_by_key_or_type for a plain key: a matching key is known, another key of the
    /// host is a change, and a @revoked line for the key refuses it whatever else says.
    static func check(key: [UInt8], name: String, entries: [KnownHostEntry]) -> Decision {
        let forHost = entries.filter { matches($0, name: name) }
        if let revoked = forHost.first(where: { $0.marker == .revoked && $0.key == key }) { return .revoked(revoked) }
        var changed: KnownHostEntry?
        for entry in forHost where entry.marker == .none {
            if entry.key == key { return .known(entry) }
            changed = entry
        }
        if let changed { return .changed(changed) }
        if let authority = forHost.first(where: { $0.marker == .certAuthority }) { return .certificateOnly(authority) }
        return .unknown
    }

    /// The key types recorded for the host, in file order: asked for first, as ssh orders its
    /// HostKeyAlgorithms, so a host with several keys answers with the one known.
    static func recordedTypes(name: String, entries: [KnownHostEntry]) -> [String] {
        var types: [String] = []
        for entry in entries where entry.marker == .none && matches(entry, name: name) && !types.contains(entry.keyType) {
            types.append(entry.keyType)
        }
        return types
    }
}

/// What known_hosts says about a host, for a saved plan: it records the keys it trusts, so applying
/// the plan after they changed is refused without connecting.
public enum RecordedHostKeys {
    /// A digest of every key recorded for the host (by `[address]:port` or the alias, and the bare name
    /// as ssh also accepts for other ports), or "none".
    public static func digest(address: String, port: Int, alias: String?, files: [String]) -> String {
        let names = alias.map { [$0] } ?? (port == 22 ? [address] : ["[\(address)]:\(port)", address])
        let entries = KnownHosts.read(files).entries.filter { entry in names.contains { KnownHosts.matches(entry, name: $0) } }
        guard !entries.isEmpty else { return "none" }
        let lines = entries.map { "\($0.marker) \($0.keyType) \(Data($0.key).base64EncodedString())" }.sorted()
        return SHA256.hex(lines.joined(separator: "\n"))
    }
}
