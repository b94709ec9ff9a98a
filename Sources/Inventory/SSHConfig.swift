import Foundation
import RunbookLanguage

/// What ssh_config says for one host, after first-value-wins matching and token expansion.
public struct SSHHostConfig: Sendable, Hashable {
    public var hostName: String?
    public var user: String?
    public var port: Int?
    public var identityFiles: [String] = []
    public var proxyJump: String?
    public var proxyCommand: String?
    public var strictHostKeyChecking: String?
    public var userKnownHostsFiles: [String] = []
    public var connectTimeout: Int?
    public var serverAliveInterval: Int?
    public var serverAliveCountMax: Int?

    public init() {}
}

/// An OpenSSH client configuration (`~/.ssh/config` or `--ssh-config PATH`), as ssh_config(5) reads it.
public struct SSHConfig: Sendable {
    struct Line: Sendable {
        var keyword: String
        var arguments: [String]
        var number: Int
        var path: String
    }

    private var lines: [Line]
    private let home: String
    private let localUser: String

    /// An empty configuration: every value comes from the inventory or the defaults.
    public static let empty = SSHConfig(lines: [], home: NSHomeDirectory(), localUser: SSHConfig.currentUser)

    init(lines: [Line], home: String, localUser: String) {
        self.lines = lines
        self.home = home
        self.localUser = localUser
    }

    /// The user running runbook.
    public static var currentUser: String { ProcessInfo.processInfo.environment["USER"] ?? NSUserName() }

    /// Reads a config file and the files it includes; a missing file is an empty configuration.
    public static func load(path: String, home: String = NSHomeDirectory(), localUser: String = currentUser) throws(Diagnostic)
        -> SSHConfig
    {
        var lines: [Line] = []
        try read(path: path, home: home, depth: 0, into: &lines, required: false)
        return SSHConfig(lines: lines, home: home, localUser: localUser)
    }

    /// Parses config text (for tests and `--ssh-config`), resolving `Include` relative to `home`/.ssh.
    public static func parse(_ text: String, path: String, home: String = NSHomeDirectory(), localUser: String = currentUser)
        throws(Diagnostic) -> SSHConfig
    {
        var lines: [Line] = []
        try parse(text, path: path, home: home, depth: 0, into: &lines)
        return SSHConfig(lines: lines, home: home, localUser: localUser)
    }

    private static func read(path: String, home: String, depth: Int, into lines: inout [Line], required: Bool) throws(Diagnostic) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            if required {
                throw Diagnostic(path: path, location: SourceLocation(line: 1, column: 1, offset: 0), message: "cannot read the file", sourceLine: nil)
            }
            return
        }
        try parse(text, path: path, home: home, depth: depth, into: &lines)
    }

    private static func parse(_ text: String, path: String, home: String, depth: Int, into lines: inout [Line]) throws(Diagnostic) {
        let file = SourceFile(path: path, text: text)
        for (index, raw) in file.lines.enumerated() {
            let line = String(raw).trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") { continue }
            var keyword = ""
            var rest = Substring(line)
            if let separator = line.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "=" }) {
                keyword = String(line[..<separator])
                rest = line[separator...].drop { $0 == " " || $0 == "\t" }
                if rest.hasPrefix("=") { rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" } }
            } else {
                keyword = line
                rest = ""
            }
            let arguments = words(String(rest))
            let lowered = keyword.lowercased()
            if lowered == "include" {
                guard depth < 16 else {
                    throw Diagnostic("`Include` nests more than 16 levels", at: SourceLocation(line: index + 1, column: 1, offset: 0), in: file)
                }
                for pattern in arguments {
                    var expanded = pattern.hasPrefix("~") ? home + pattern.dropFirst() : pattern
                    if !expanded.hasPrefix("/") { expanded = home + "/.ssh/" + expanded }
                    for included in globFiles(expanded) {
                        try read(path: included, home: home, depth: depth + 1, into: &lines, required: false)
                    }
                }
                continue
            }
            lines.append(Line(keyword: lowered, arguments: arguments, number: index + 1, path: path))
        }
    }

    private static func globFiles(_ pattern: String) -> [String] {
        guard Glob.hasWildcards(pattern) else { return [pattern] }
        let directory = (pattern as NSString).deletingLastPathComponent
        let namePattern = (pattern as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { Glob.matches(namePattern, $0) }.sorted().map { directory + "/" + $0 }
    }

    /// Splits arguments on white space, honouring double quotes.
    private static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var any = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
                any = true
                continue
            }
            if !quoted, character == " " || character == "\t" {
                if any || !current.isEmpty { result.append(current) }
                current = ""
                any = false
                continue
            }
            current.append(character)
        }
        if any || !current.isEmpty { result.append(current) }
        return result
    }

    /// True when a `Host` line's patterns select the name: one positive match and no negated one.
    static func hostLineMatches(_ patterns: [String], _ name: String) -> Bool {
        var positive = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if Glob.matches(String(pattern.dropFirst()), name) { return false }
            } else if Glob.matches(pattern, name) {
                positive = true
            }
        }
        return positive
    }

    /// The settings for a host name: for each keyword the first value found wins (IdentityFile accumulates).
    public func settings(for name: String, user inventoryUser: String? = nil, port inventoryPort: Int? = nil) -> SSHHostConfig {
        var config = SSHHostConfig()
        var active = true
        var seen = Set<String>()
        var proxyChosen = false
        for line in lines {
            switch line.keyword {
            case "host":
                active = Self.hostLineMatches(line.arguments, name)
                continue
            case "match":
                // Only `Match all` is understood; other criteria never match (documented in docs/inventory.md).
                active = line.arguments.first?.lowercased() == "all"
                continue
            default:
                break
            }
            guard active, let value = line.arguments.first else { continue }
            if line.keyword == "identityfile" {
                config.identityFiles.append(value)
                continue
            }
            if line.keyword == "userknownhostsfile" {
                if config.userKnownHostsFiles.isEmpty { config.userKnownHostsFiles = line.arguments }
                continue
            }
            if line.keyword == "proxyjump" || line.keyword == "proxycommand" {
                if proxyChosen { continue }
                proxyChosen = true
                if value.lowercased() == "none" { continue }
                if line.keyword == "proxyjump" {
                    config.proxyJump = value
                } else {
                    config.proxyCommand = line.arguments.joined(separator: " ")
                }
                continue
            }
            guard seen.insert(line.keyword).inserted else { continue }
            switch line.keyword {
            case "hostname": config.hostName = value
            case "user": config.user = value
            case "port": config.port = Int(value)
            case "stricthostkeychecking": config.strictHostKeyChecking = value.lowercased()
            case "connecttimeout": config.connectTimeout = Int(value)
            case "serveraliveinterval": config.serverAliveInterval = Int(value)
            case "serveralivecountmax": config.serverAliveCountMax = Int(value)
            default: break
            }
        }
        // Tokens expand with the final values: %h is the HostName, %r the user, %p the port.
        let host = config.hostName.map { expandTokens($0, host: name, original: name, user: "", port: 22) } ?? name
        config.hostName = config.hostName == nil ? nil : host
        let user = inventoryUser ?? config.user ?? localUser
        let port = inventoryPort ?? config.port ?? 22
        config.identityFiles = config.identityFiles.map { expandTokens($0, host: host, original: name, user: user, port: port) }
        config.userKnownHostsFiles = config.userKnownHostsFiles.map { expandTokens($0, host: host, original: name, user: user, port: port) }
        config.proxyCommand = config.proxyCommand.map { expandTokens($0, host: host, original: name, user: user, port: port) }
        return config
    }

    /// Expands `~`, `%h`, `%n`, `%p`, `%r`, `%u`, `%d` and `%%`.
    func expandTokens(_ text: String, host: String, original: String, user: String, port: Int) -> String {
        var result = ""
        var index = text.startIndex
        if text.hasPrefix("~/") || text == "~" {
            result = home
            index = text.index(after: index)
        }
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "%", next < text.endIndex {
                switch text[next] {
                case "h": result += host
                case "n": result += original
                case "p": result += String(port)
                case "r": result += user
                case "u": result += localUser
                case "d": result += home
                case "%": result += "%"
                default: result += String(character) + String(text[next])
                }
                index = text.index(after: next)
            } else {
                result.append(character)
                index = next
            }
        }
        return result
    }
}
