import Foundation

/// Value rules shared by ssh_config's options: %-tokens, ${ENV}, times, ports, ProxyJump specs.
enum SSHTokens {
    /// The tokens of DEFAULT_CLIENT_PERCENT_EXPAND_ARGS (IdentityFile, UserKnownHostsFile, IdentityAgent).
    static let clientTokens: Set<Character> = ["C", "L", "i", "k", "l", "n", "p", "d", "h", "r", "u"]
    /// What sshconnect.c's expand_proxy_command offers.
    static let proxyTokens: Set<Character> = ["h", "k", "n", "p", "r"]
    /// What match_cfg_line offers to `Match exec`.
    static let execTokens: Set<Character> = ["C", "L", "d", "h", "k", "l", "n", "p", "r", "u", "i"]

    /// The first %-token not in `allowed` (or a lone trailing `%`), as percent_expand would refuse it.
    static func invalidToken(in text: String, allowed: Set<Character>) -> String? {
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else { continue }
            guard let next = iterator.next() else { return "%" }
            if next != "%" && !allowed.contains(next) { return "%" + String(next) }
        }
        return nil
    }

    /// percent_expand (and ${ENV} when `environment` is given); unknown tokens are left as written
    /// (they were refused when the file was read).
    static func expand(_ text: String, _ values: [Character: String], environment: [String: String]? = nil) -> String {
        var result = ""
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if let environment, character == "$", index + 1 < characters.count, characters[index + 1] == "{",
                let close = characters[(index + 2)...].firstIndex(of: "}")
            {
                result += environment[String(characters[(index + 2)..<close])] ?? ""
                index = close + 1
                continue
            }
            if character == "%", index + 1 < characters.count {
                let key = characters[index + 1]
                if key == "%" {
                    result.append("%")
                } else if let value = values[key] {
                    result += value
                } else {
                    result += "%" + String(key)
                }
                index += 2
                continue
            }
            result.append(character)
            index += 1
        }
        return result
    }

    /// tilde_expand_filename for the current user: `~` and `~/…` (other users' `~name` are kept).
    static func tilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }

    /// convtime: `90`, `1m30s`, `2h`; nil when invalid.
    static func seconds(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        var total = 0
        var rest = Substring(text)
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int(digits), value <= Int(Int32.max) else { return nil }
            rest = rest.dropFirst(digits.count)
            var multiplier = 1
            if let unit = rest.first {
                switch unit {
                case "s", "S": multiplier = 1
                case "m", "M": multiplier = 60
                case "h", "H": multiplier = 3600
                case "d", "D": multiplier = 86400
                case "w", "W": multiplier = 604800
                default: return nil
                }
                rest = rest.dropFirst()
            }
            total += value * multiplier
            guard total <= Int(Int32.max) else { return nil }
        }
        return total
    }

    /// a2port: 1-65535 or a service name from /etc/services.
    static func port(_ text: String) -> Int? {
        if let value = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }) { return (1...65535).contains(value) ? value : nil }
        guard let entry = getservbyname(text, "tcp") else { return nil }
        let port = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.pointee.s_port)))
        return port > 0 ? port : nil
    }

    /// One hop of a ProxyJump list: `[user@]host[:port]` or `ssh://[user@]host[:port]`.
    struct Hop: Sendable, Hashable {
        var user: String?
        var host: String
        var port: Int?
    }

    /// parse_ssh_uri, then parse_user_host_port; nil when the hop is malformed.
    static func hop(_ text: String) -> Hop? {
        var rest = Substring(text)
        var user: String?
        if rest.hasPrefix("ssh://") {
            rest = rest.dropFirst(6)
            if let at = rest.firstIndex(of: "@") {
                let info = rest[..<at].prefix { $0 != ";" }
                guard !info.isEmpty else { return nil }
                user = String(info).removingPercentEncoding ?? String(info)
                rest = rest[rest.index(after: at)...]
            }
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            guard !rest.contains("/") else { return nil }
        } else if let at = rest.lastIndex(of: "@") {
            guard at != rest.startIndex else { return nil }
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        var host: Substring
        var portText: Substring = ""
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") || after.hasPrefix("/") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                return nil
            }
        } else if let separator = rest.firstIndex(where: { $0 == ":" || $0 == "/" }) {
            host = rest[..<separator]
            portText = rest[rest.index(after: separator)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { return nil }
        var port: Int?
        if !portText.isEmpty {
            guard let value = Self.port(String(portText)) else { return nil }
            port = value
        }
        return Hop(user: user, host: String(host), port: port)
    }

    /// How ssh -G prints a hop: numeric addresses in brackets.
    static func describe(_ hop: Hop) -> String {
        let numeric = hop.host.contains(":") || hop.host.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) }
        var text = hop.user.map { $0 + "@" } ?? ""
        text += numeric ? "[\(hop.host)]" : hop.host
        if let port = hop.port { text += ":\(port)" }
        return text
    }
}
