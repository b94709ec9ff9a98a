import Foundation
import RunbookLanguage

#if canImport(Glibc)
    import Glibc
#endif

/// What ssh_config says for one host, resolved as `ssh -G` resolves it (before runbook's defaults).
public struct SSHHostConfig: Sendable, Hashable {
    /// The name given to ssh (`host` in ssh -G).
    public var hostArgument = ""
    /// HostName expanded, lower-cased unless an address (`hostname` in ssh -G).
    public var hostName: String?
    /// nil when neither the config nor the caller set it (ssh then uses the local user).
    public var user: String?
    public var port: Int?
    /// IdentityFile values as written (what ssh -G prints), and with `~`, %-tokens and ${ENV} expanded.
    public var identityFilesAsWritten: [String] = []
    public var identityFiles: [String] = []
    public var identitiesOnly: Bool?
    /// Expanded IdentityAgent: a socket path, `none` or `SSH_AUTH_SOCK`.
    public var identityAgent: String?
    /// ProxyJump as ssh -G prints it; nil when unset or `none`.
    public var proxyJump: String?
    /// ProxyCommand with its tokens expanded, and as written.
    public var proxyCommand: String?
    public var proxyCommandAsWritten: String?
    /// `yes`, `no`, `ask` or `accept-new`.
    public var strictHostKeyChecking: String?
    /// Expanded UserKnownHostsFile list; empty when unset (ssh's default then applies).
    public var userKnownHostsFiles: [String] = []
    public var userKnownHostsNone = false
    public var globalKnownHostsFiles: [String] = []
    public var hashKnownHosts: Bool?
    /// Seconds.
    public var connectTimeout: Int?
    public var serverAliveInterval: Int?
    public var serverAliveCountMax: Int?
    public var hostKeyAlias: String?
    /// The hops of ProxyJump, first (outermost) to last.
    var jumpHops: [SSHTokens.Hop] = []

    public init() {}
}

/// An OpenSSH client configuration, as ssh 9.2 reads it: the `-F` file (or ~/.ssh/config, then
/// /etc/ssh/ssh_config), with Include, Host, Match, first-value-wins and tokens.
public struct SSHConfig: Sendable {
    var files: [SSHConfigFile]
    let home: String
    let localUser: String
    var environment: [String: String]
    let execCache = MatchExecCache()

    /// An empty configuration: every value comes from the inventory or the defaults.
    public static let empty = SSHConfig(files: [], home: NSHomeDirectory(), localUser: SSHConfig.currentUser)

    init(files: [SSHConfigFile], home: String, localUser: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.files = files
        self.home = home
        self.localUser = localUser
        self.environment = environment
    }

    /// The user running runbook.
    public static var currentUser: String { ProcessInfo.processInfo.environment["USER"] ?? NSUserName() }

    /// Reads the configuration as ssh does: `explicit` alone (like `ssh -F`; `none` reads nothing),
    /// else ~/.ssh/config then `systemPath`.
    public static func load(
        explicit: String?, systemPath: String = "/etc/ssh/ssh_config", home: String = NSHomeDirectory(), localUser: String = currentUser
    ) throws(Diagnostic) -> SSHConfig {
        var files: [SSHConfigFile] = []
        if let explicit {
            if explicit.lowercased() != "none" {
                guard let file = try read(path: explicit, user: true, home: home, depth: 0, checkPermissions: false) else {
                    throw Diagnostic(
                        path: explicit, location: SourceLocation(line: 1, column: 1, offset: 0), message: "cannot read the ssh_config file", sourceLine: nil)
                }
                files.append(file)
            }
        } else {
            if let file = try read(path: home + "/.ssh/config", user: true, home: home, depth: 0, checkPermissions: true) { files.append(file) }
            if let file = try read(path: systemPath, user: false, home: home, depth: 0, checkPermissions: false) { files.append(file) }
        }
        return SSHConfig(files: files, home: home, localUser: localUser)
    }

    /// Reads one file as a user configuration (`ssh -F PATH`); a missing file is an empty configuration.
    public static func load(path: String, home: String = NSHomeDirectory(), localUser: String = currentUser) throws(Diagnostic) -> SSHConfig {
        let file = try read(path: path, user: true, home: home, depth: 0, checkPermissions: false)
        return SSHConfig(files: file.map { [$0] } ?? [], home: home, localUser: localUser)
    }

    /// Parses config text as a user configuration (for tests); `Include` is relative to `home`/.ssh.
    public static func parse(_ text: String, path: String, home: String = NSHomeDirectory(), localUser: String = currentUser)
        throws(Diagnostic) -> SSHConfig
    {
        let file = try parse(text, path: path, user: true, home: home, depth: 0)
        return SSHConfig(files: [file], home: home, localUser: localUser)
    }

    static let maxDepth = 16
    static let maxFileSize = 4 << 20

    private static func read(path: String, user: Bool, home: String, depth: Int, checkPermissions: Bool) throws(Diagnostic) -> SSHConfigFile? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        if checkPermissions, (info.st_uid != 0 && info.st_uid != getuid()) || info.st_mode & 0o022 != 0 {
            throw Diagnostic(
                path: path, location: SourceLocation(line: 1, column: 1, offset: 0),
                message: "bad owner or permissions (ssh refuses a config file others can write: chmod go-w)", sourceLine: nil)
        }
        // POSIX reads: /dev/null and other devices have no size, and the limit holds for them too.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Diagnostic(path: path, location: SourceLocation(line: 1, column: 1, offset: 0), message: "cannot read the file", sourceLine: nil)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw Diagnostic(path: path, location: SourceLocation(line: 1, column: 1, offset: 0), message: "cannot read the file", sourceLine: nil)
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= maxFileSize else {
                throw Diagnostic(path: path, location: SourceLocation(line: 1, column: 1, offset: 0), message: "larger than 4 MB", sourceLine: nil)
            }
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path, user: user, home: home, depth: depth)
    }

    private static func parse(_ text: String, path: String, user: Bool, home: String, depth: Int) throws(Diagnostic) -> SSHConfigFile {
        let source = SourceFile(path: path, text: text)
        var lines: [SSHConfigLine] = []
        var ignoredPatterns: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let (keyword, rest) = SSHConfigSyntax.split(raw) else { continue }
            func fail(_ message: String) -> Diagnostic {
                Diagnostic(message, at: SourceLocation(line: index + 1, column: 1, offset: 0), in: source)
            }
            guard !rest.isEmpty else { throw fail("no argument after keyword \"\(keyword)\"") }
            guard let arguments = SSHConfigSyntax.argvSplit(rest) else { throw fail("invalid quotes") }
            var line = SSHConfigLine(path: path, number: index + 1, text: String(raw), keyword: keyword, rest: rest, arguments: arguments)
            if keyword == "ignoreunknown", let first = arguments.first { ignoredPatterns.append(first) }
            if keyword == "include" {
                guard depth < maxDepth else { throw fail("Include nested too deeply (more than \(maxDepth) levels)") }
                for argument in arguments {
                    if argument.hasPrefix("~") && !user { throw fail("bad include path \(argument) (~ only in user configurations)") }
                    var pattern = argument
                    if !argument.hasPrefix("/") && !argument.hasPrefix("~") { pattern = (user ? "~/.ssh/" : "/etc/ssh/") + argument }
                    for included in globFiles(SSHTokens.tilde(pattern, home: home)) {
                        if let file = try read(path: included, user: user, home: home, depth: depth + 1, checkPermissions: true) {
                            line.included.append(file)
                        }
                    }
                }
            }
            if let problem = SSHConfigValidation.problem(line, ignoredUnknown: ignoredPatterns) { throw fail(problem) }
            lines.append(line)
        }
        return SSHConfigFile(path: path, lines: lines)
    }

    /// glob(3) in sorted order, as OpenSSH expands Include patterns.
    private static func globFiles(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in result.gl_pathv[index].map { String(cString: $0) } }
    }
}

/// Remembers `Match exec` results for one configuration, so a thousand hosts do not run a
/// thousand copies of the same command.
final class MatchExecCache: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [String: Bool] = [:]

    func result(_ command: String, run: () -> Bool) -> Bool {
        if let known = lock.withLock({ results[command] }) { return known }
        let value = run()
        lock.withLock { results[command] = value }
        return value
    }
}
