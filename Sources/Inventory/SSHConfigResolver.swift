import Foundation
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// The options of one resolution while the files are read: each is set once (first value wins).
struct SSHOptionState {
    var user: String?
    var hostName: String?
    var port: Int?
    var identityFiles: [String] = []
    var identitiesOnly: Bool?
    var identityAgent: String?
    var jumpRaw: String?
    var jumpHops: [SSHTokens.Hop]?
    var proxyCommand: String?
    var connectTimeout: Int?
    var serverAliveInterval: Int?
    var serverAliveCountMax: Int?
    var strictHostKeyChecking: String?
    var userKnownHostsFiles: [String]?
    var globalKnownHostsFiles: [String]?
    var hashKnownHosts: Bool?
    var canonicalizeHostname: Int?
    var hostKeyAlias: String?
}

extension SSHConfig {
    /// The settings for `name` as `ssh -G [-l user] [-p port] [-o Key=Value]... name` resolves them.
    public func settings(
        for name: String, user commandLineUser: String? = nil, port commandLinePort: Int? = nil, options: [(String, String)] = []
    ) -> SSHHostConfig {
        resolve(name, user: commandLineUser, port: commandLinePort, proxyGiven: false, options: options)
    }

    /// `proxyGiven`: a `-J` on the command line (a later hop of a ProxyJump list) hides the config's
    /// ProxyJump and ProxyCommand.
    func resolve(_ name: String, user commandLineUser: String?, port commandLinePort: Int?, proxyGiven: Bool, options: [(String, String)] = [])
        -> SSHHostConfig
    {
        var state = SSHOptionState()
        state.user = commandLineUser
        state.port = commandLinePort
        // `-o` options are read before any file, as ssh reads its command line.
        for (keyword, value) in options {
            let bytes = Array(value.utf8)
            let line = SSHConfigLine(
                path: "command line", number: 0, text: value, keyword: SSHPattern.asciiLowercased(keyword), rest: bytes,
                arguments: SSHConfigSyntax.argvSplit(bytes) ?? [value])
            apply(line, to: &state)
        }
        // A `-J` given to a later hop: ProxyJump set, ProxyCommand `none`.
        if proxyGiven {
            state.jumpHops = []
            state.proxyCommand = "none"
        }
        var wantFinal = false
        var host = name
        read(&state, host: host, original: name, finalPass: false, wantFinal: &wantFinal)
        if let hostName = state.hostName { host = SSHTokens.expand(hostName, ["h": host]) }
        if !Self.isAddress(host) { host = SSHPattern.asciiLowercased(host) }
        if wantFinal || (state.canonicalizeHostname ?? 0) != 0 {
            state.hostName = host
            var ignored = false
            read(&state, host: host, original: name, finalPass: true, wantFinal: &ignored)
        }
        return finish(state, host: host, name: name)
    }

    private func read(_ state: inout SSHOptionState, host: String, original: String, finalPass: Bool, wantFinal: inout Bool) {
        for file in files {
            var active = true
            process(file.lines, &state, active: &active, neverMatch: false, host: host, original: original, finalPass: finalPass, wantFinal: &wantFinal)
        }
    }

    private func process(
        _ lines: [SSHConfigLine], _ state: inout SSHOptionState, active: inout Bool, neverMatch: Bool, host: String, original: String,
        finalPass: Bool, wantFinal: inout Bool
    ) {
        for line in lines {
            switch line.keyword {
            case "host":
                active = false
                if neverMatch { continue }
                for var pattern in line.arguments {
                    let negated = pattern.hasPrefix("!")
                    if negated { pattern.removeFirst() }
                    if SSHPattern.matches(host, pattern) {
                        if negated {
                            active = false
                            break
                        }
                        active = true
                    }
                }
            case "match":
                let context = matchContext(state, host: host, original: original, finalPass: finalPass)
                var want = wantFinal
                let matched = (try? SSHMatch.evaluate(line.rest, context, wantFinal: &want).get().0) ?? false
                wantFinal = want
                active = neverMatch ? false : matched
            case "include":
                let outer = active
                for file in line.included {
                    process(
                        file.lines, &state, active: &active, neverMatch: neverMatch || !outer, host: host, original: original, finalPass: finalPass,
                        wantFinal: &wantFinal)
                    active = outer
                }
            default:
                if active { apply(line, to: &state) }
            }
        }
    }

    private func matchContext(_ state: SSHOptionState, host: String, original: String, finalPass: Bool) -> SSHMatch.Context {
        var matchHost = host
        if !finalPass, let hostName = state.hostName { matchHost = SSHTokens.expand(hostName, ["h": host]) }
        if finalPass, let hostName = state.hostName { matchHost = hostName }
        let remoteUser = state.user ?? localUser
        let port = state.port ?? 22
        let values = tokenValues(host: matchHost, original: original, user: remoteUser, port: port, keyAlias: state.hostKeyAlias ?? matchHost)
        let environment = environment
        let cache = execCache
        return SSHMatch.Context(
            host: matchHost, originalHost: original, remoteUser: remoteUser, localUser: localUser, finalPass: finalPass,
            exec: { command in cache.result(command) { SSHMatch.runShell(command, environment: environment) } },
            expand: { SSHTokens.expand($0, values) })
    }

    private func apply(_ line: SSHConfigLine, to state: inout SSHOptionState) {
        let value = line.arguments.first ?? ""
        switch SSHConfigSyntax.aliases[line.keyword] ?? line.keyword {
        case "hostname": if state.hostName == nil { state.hostName = value }
        case "user": if state.user == nil { state.user = value }
        case "port": if state.port == nil { state.port = SSHTokens.port(value) }
        case "identityfile":
            if state.identityFiles.count < 100, !state.identityFiles.contains(value) { state.identityFiles.append(value) }
        case "identitiesonly": if state.identitiesOnly == nil { state.identitiesOnly = SSHConfigValidation.flagValues[value.lowercased()] }
        case "identityagent": if state.identityAgent == nil { state.identityAgent = value }
        case "hostkeyalias": if state.hostKeyAlias == nil { state.hostKeyAlias = value }
        // `none` is ssh's "unset" marker itself, so a later line can still set the option.
        case "connecttimeout": if state.connectTimeout == nil, value != "none" { state.connectTimeout = SSHTokens.seconds(value) }
        case "serveraliveinterval":
            if state.serverAliveInterval == nil, value != "none" { state.serverAliveInterval = SSHTokens.seconds(value) }
        case "serveralivecountmax": if state.serverAliveCountMax == nil { state.serverAliveCountMax = Int(value) }
        case "stricthostkeychecking":
            if state.strictHostKeyChecking == nil { state.strictHostKeyChecking = SSHConfigValidation.strictValues[value.lowercased()] }
        case "hashknownhosts": if state.hashKnownHosts == nil { state.hashKnownHosts = SSHConfigValidation.flagValues[value.lowercased()] }
        case "canonicalizehostname":
            if state.canonicalizeHostname == nil { state.canonicalizeHostname = SSHConfigValidation.canonicalizeValues[value.lowercased()] }
        case "userknownhostsfile": if state.userKnownHostsFiles == nil { state.userKnownHostsFiles = line.arguments }
        case "globalknownhostsfile": if state.globalKnownHostsFiles == nil { state.globalKnownHostsFiles = line.arguments }
        // As ssh 9.2: a ProxyJump (even `none`) blocks later ProxyJumps; a real one also sets
        // ProxyCommand to `none`, but `ProxyJump none` leaves a later ProxyCommand free.
        case "proxycommand":
            if state.proxyCommand == nil { state.proxyCommand = SSHConfigValidation.rawValue(line) }
        case "proxyjump":
            if state.proxyCommand == nil, state.jumpHops == nil, let hops = SSHJump.parse(SSHConfigValidation.rawValue(line)) {
                state.jumpHops = hops
                state.jumpRaw = SSHConfigValidation.rawValue(line)
                if !hops.isEmpty { state.proxyCommand = "none" }
            }
        default:
            break
        }
    }

    private func finish(_ state: SSHOptionState, host: String, name: String) -> SSHHostConfig {
        var config = SSHHostConfig()
        config.hostArgument = name
        config.hostName = host
        config.user = state.user
        config.port = state.port
        let user = state.user ?? localUser
        let port = state.port ?? 22
        // ssh lower-cases HostKeyAlias before it becomes %k.
        let keyAlias = state.hostKeyAlias.map(SSHPattern.asciiLowercased)
        let values = tokenValues(host: host, original: name, user: user, port: port, keyAlias: keyAlias ?? name)
        func path(_ text: String) -> String { SSHTokens.expand(SSHTokens.tilde(text, home: home), values, environment: environment) }
        config.identityFilesAsWritten = state.identityFiles
        config.identityFiles = state.identityFiles.map(path)
        config.identitiesOnly = state.identitiesOnly
        config.identityAgent = state.identityAgent.map(path)
        config.hostKeyAlias = keyAlias
        if let command = state.proxyCommand, command.lowercased() != "none" {
            config.proxyCommandAsWritten = command
            config.proxyCommand = SSHTokens.expand(command, ["h": host, "k": keyAlias ?? name, "n": name, "p": String(port), "r": user])
        }
        if let hops = state.jumpHops, let last = hops.last, let raw = state.jumpRaw {
            config.jumpHops = hops
            var text = raw
            if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
            let extra = text.lastIndex(of: ",").map { String(text[..<$0]) }
            config.proxyJump = (extra.map { $0 + "," } ?? "") + SSHTokens.describe(last)
        }
        config.connectTimeout = state.connectTimeout
        config.serverAliveInterval = state.serverAliveInterval
        config.serverAliveCountMax = state.serverAliveCountMax
        config.strictHostKeyChecking = state.strictHostKeyChecking
        config.hashKnownHosts = state.hashKnownHosts
        if let files = state.userKnownHostsFiles {
            if files.first?.lowercased() == "none" { config.userKnownHostsNone = true } else { config.userKnownHostsFiles = files.map(path) }
        }
        config.globalKnownHostsFiles = state.globalKnownHostsFiles ?? []
        return config
    }

    /// DEFAULT_CLIENT_PERCENT_EXPAND_ARGS.
    func tokenValues(host: String, original: String, user: String, port: Int, keyAlias: String) -> [Character: String] {
        let thisHost = Self.localHostName
        let shortHost = String(thisHost.prefix { $0 != "." })
        let hash = SHA1.hex(SHA1.digest(Array((thisHost + host + String(port) + user).utf8)))
        return [
            "C": hash, "L": shortHost, "i": String(getuid()), "k": keyAlias, "l": thisHost, "n": original, "p": String(port), "d": home,
            "h": host, "r": user, "u": localUser,
        ]
    }

    static let localHostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(cString: buffer)
    }()

    /// is_addr: a numeric IPv4 or IPv6 address (ssh does not lower-case those).
    static func isAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
