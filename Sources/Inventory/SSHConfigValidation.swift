import Wire

/// The checks readconf.c makes on every line, active or not, for the options runbook reads.
enum SSHConfigValidation {
    static let strictValues = ["true": "yes", "false": "no", "yes": "yes", "no": "no", "ask": "ask", "off": "no", "accept-new": "accept-new"]
    static let flagValues = ["true": true, "false": false, "yes": true, "no": false]
    static let canonicalizeValues = ["true": 1, "false": 0, "yes": 1, "no": 0, "always": 2]
    /// Options that take exactly one word (anything after it is "extra arguments" to ssh).
    static let singleWord: Set<String> = [
        "hostname", "user", "port", "identityfile", "identitiesonly", "identityagent", "connecttimeout", "serveraliveinterval",
        "serveralivecountmax", "stricthostkeychecking", "hashknownhosts", "canonicalizehostname", "hostkeyalias", "ignoreunknown",
    ]

    /// What ssh would say about the line, or nil when it is fine.
    static func problem(_ line: SSHConfigLine, ignoredUnknown: [String]) -> String? {
        let keyword = SSHConfigSyntax.aliases[line.keyword] ?? line.keyword
        guard SSHConfigSyntax.keywords.contains(line.keyword) else {
            if ignoredUnknown.contains(where: { SSHPattern.matchList(line.keyword, $0, lowercasePatterns: true) == 1 }) { return nil }
            return "Bad configuration option: \(line.keyword)"
        }
        let arguments = line.arguments
        let value = arguments.first ?? ""
        if singleWord.contains(keyword) {
            if value.isEmpty { return "missing argument for \(keyword)" }
            if arguments.count > 1 { return "keyword \(keyword) extra arguments at end of line" }
        }
        switch keyword {
        case "port":
            if SSHTokens.port(value) == nil { return "Bad port '\(value)'" }
        case "connecttimeout", "serveraliveinterval":
            if value != "none" && SSHTokens.seconds(value) == nil { return "invalid time value" }
        case "serveralivecountmax":
            if Int32(value) == nil || !value.allSatisfy({ $0.isNumber || $0 == "-" }) { return "integer value \(value) is invalid" }
        case "stricthostkeychecking":
            if strictValues[value.lowercased()] == nil { return "unsupported option \"\(value)\"" }
        case "identitiesonly", "hashknownhosts":
            if flagValues[value.lowercased()] == nil { return "unsupported option \"\(value)\"" }
        case "canonicalizehostname":
            if canonicalizeValues[value.lowercased()] == nil { return "unsupported option \"\(value)\"" }
        case "hostname":
            if let token = SSHTokens.invalidToken(in: value, allowed: ["h"]) { return "HostName: unknown token \(token) (only %h and %%)" }
        case "identityfile", "identityagent":
            if let token = SSHTokens.invalidToken(in: value, allowed: SSHTokens.clientTokens) { return "\(keyword): unknown token \(token)" }
            if let problem = dollarProblem(value) { return problem }
        case "userknownhostsfile", "globalknownhostsfile":
            if arguments.isEmpty { return "missing argument for \(keyword)" }
            if arguments.contains(where: { $0.isEmpty }) { return "keyword \(keyword) empty argument" }
            if arguments.count > 1, arguments.contains(where: { $0.lowercased() == "none" }) { return "keyword \(keyword) \"none\" argument must appear alone" }
            if keyword == "userknownhostsfile" {
                for argument in arguments {
                    if let token = SSHTokens.invalidToken(in: argument, allowed: SSHTokens.clientTokens) { return "\(keyword): unknown token \(token)" }
                }
            }
        case "proxycommand":
            if let token = SSHTokens.invalidToken(in: rawValue(line), allowed: SSHTokens.proxyTokens) {
                return "ProxyCommand: unknown token \(token) (ssh offers %h %k %n %p %r %%)"
            }
        case "proxyjump":
            if SSHJump.parse(rawValue(line)) == nil { return "Invalid ProxyJump \"\(rawValue(line))\"" }
        case "host":
            if arguments.isEmpty || arguments.contains(where: { $0.isEmpty }) { return "keyword host empty argument" }
        case "match":
            if let problem = SSHMatch.syntaxProblem(line.rest) { return problem }
        case "include":
            if arguments.isEmpty || arguments.contains(where: { $0.isEmpty }) { return "keyword include empty argument" }
        default:
            break
        }
        return nil
    }

    /// ProxyCommand and ProxyJump take the rest of the line as written, after white space and `=`.
    static func rawValue(_ line: SSHConfigLine) -> String {
        String(decoding: line.rest.drop { SSHConfigSyntax.whitespace.contains($0) || $0 == SSHConfigSyntax.equals }, as: UTF8.self)
    }

    private static func dollarProblem(_ value: String) -> String? {
        var rest = Substring(value)
        while let start = rest.range(of: "${") {
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { return "environment variable missing closing '}' in \(value)" }
            if close == start.upperBound { return "zero-length environment variable in \(value)" }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }
}

/// ProxyJump values, as readconf.c's parse_jump reads them.
enum SSHJump {
    /// The hops, first to last; an empty list for `none`; nil when malformed.
    static func parse(_ raw: String) -> [SSHTokens.Hop]? {
        var text = Substring(raw)
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        while let last = text.last, last == " " || last == "\t" || last == "\r" || last == "\n" { text = text.dropLast() }
        if raw.lowercased() == "none" { return [] }
        var hops: [SSHTokens.Hop] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let hop = SSHTokens.hop(String(part)) else { return nil }
            hops.append(hop)
        }
        return hops
    }
}
