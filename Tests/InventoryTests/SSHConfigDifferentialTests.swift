import Foundation
import TestSupport
import Testing

@testable import Inventory

#if canImport(Glibc)
    import Glibc
#endif

/// Every case of Tests/Fixtures/ssh-config: runbook's resolution must print what `ssh -G -F config`
/// prints for each option runbook uses. `queries` lines are `NAME [USER|- [PORT|- [-oKey=Value]...]]`
/// (ssh's -l, -p and -o).
@Suite struct SSHConfigDifferentialTests {
    static let corpus = sharedFixtures.appendingPathComponent("ssh-config")
    static let cases: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    static let compared = [
        "user", "hostname", "port", "identityfile", "identitiesonly", "identityagent", "proxyjump", "proxycommand", "connecttimeout",
        "serveraliveinterval", "serveralivecountmax", "stricthostkeychecking", "userknownhostsfile", "globalknownhostsfile", "hashknownhosts",
        "hostkeyalias",
    ]

    static var passwd: (name: String, home: String) {
        guard let entry = getpwuid(getuid()) else { return ("root", "/root") }
        return (String(cString: entry.pointee.pw_name), String(cString: entry.pointee.pw_dir))
    }

    @Test func corpusIsPresent() {
        #expect(Self.cases.count >= 8)
    }

    @Test(arguments: cases) func sameAsSSHDashG(_ name: String) throws {
        let source = Self.corpus.appendingPathComponent(name)
        let home = try shell("mktemp -d /tmp/runbook-sshcfg-XXXXXX").trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? shell("rm -rf '\(home)'") }
        try shell("mkdir -p '\(home)/.ssh' && chmod 700 '\(home)/.ssh'")
        if FileManager.default.fileExists(atPath: source.appendingPathComponent("home-ssh").path) {
            try shell("cp -R '\(source.path)/home-ssh/.' '\(home)/.ssh/' && chmod -R go-w '\(home)/.ssh'")
        }
        let (localUser, passwdHome) = Self.passwd
        let text = try String(contentsOf: source.appendingPathComponent("config"), encoding: .utf8).replacingOccurrences(of: "LOCALUSER", with: localUser)
        let configPath = home + "/config"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try SSHConfig.load(path: configPath, home: home, localUser: localUser)
        let queries = try String(contentsOf: source.appendingPathComponent("queries"), encoding: .utf8).split(separator: "\n")
        let environment = ["HOME": home, "RUNBOOK_TEST_AGENT": "/run/agent.sock"]
        for query in queries {
            let words = query.split(separator: " ").map(String.init)
            guard let host = words.first else { continue }
            var argv = ["/usr/bin/ssh", "-G", "-F", configPath]
            let user = words.count > 1 && words[1] != "-" ? words[1] : nil
            let port = words.count > 2 && words[2] != "-" ? Int(words[2]) : nil
            if let user { argv += ["-l", user] }
            if let port { argv += ["-p", String(port)] }
            // `-oKey=Value` words: ssh's -o, the inventory's ansible_ssh_common_args to runbook.
            var options: [(String, String)] = []
            for word in words.dropFirst(3) where word.hasPrefix("-o") {
                let option = word.dropFirst(2)
                guard let equals = option.firstIndex(of: "=") else { continue }
                options.append((String(option[..<equals]), String(option[option.index(after: equals)...])))
                argv += ["-o", String(option)]
            }
            let output = try runProcess(argv + [host], environment: environment)
            #expect(output.status == 0, "ssh -G \(query): \(output.stderr)")
            let expected = Self.parse(output.stdout.replacingOccurrences(of: passwdHome + "/", with: home + "/"))
            var scoped = config
            scoped.environment.merge(environment) { _, new in new }
            let resolved = scoped.settings(for: host, user: user, port: port, options: options)
            let actual = Self.render(resolved, localUser: localUser, home: home)
            for key in Self.compared {
                #expect(actual[key] == expected[key], "\(name) `\(query)` \(key)")
            }
        }
    }

    /// Without --ssh-config: ~/.ssh/config, then /etc/ssh/ssh_config (Debian's sets HashKnownHosts yes).
    @Test func defaultFilesAsSSHReadsThem() throws {
        let (localUser, passwdHome) = Self.passwd
        guard !FileManager.default.fileExists(atPath: passwdHome + "/.ssh/config") else { return }
        let config = try SSHConfig.load(explicit: nil, home: passwdHome, localUser: localUser)
        let output = try runProcess(["/usr/bin/ssh", "-G", "some-host"])
        let expected = Self.parse(output.stdout)
        let actual = Self.render(config.settings(for: "some-host"), localUser: localUser, home: passwdHome)
        for key in Self.compared { #expect(actual[key] == expected[key], "\(key)") }
    }

    static func parse(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let key = String(line[..<space])
            let value = String(line[line.index(after: space)...])
            result[key] = result[key].map { $0 + "\n" + value } ?? value
        }
        return result
    }

    /// runbook's resolution printed as ssh -G prints it, with ssh's defaults for what is unset.
    static func render(_ config: SSHHostConfig, localUser: String, home: String) -> [String: String] {
        var result: [String: String] = [
            "user": config.user ?? localUser, "hostname": config.hostName ?? config.hostArgument, "port": String(config.port ?? 22),
            "identitiesonly": config.identitiesOnly == true ? "yes" : "no", "hashknownhosts": config.hashKnownHosts == true ? "yes" : "no",
            "connecttimeout": config.connectTimeout.map(String.init) ?? "none",
            "serveraliveinterval": String(config.serverAliveInterval ?? 0), "serveralivecountmax": String(config.serverAliveCountMax ?? 3),
        ]
        let strict = ["yes": "true", "no": "false", "ask": "ask", "accept-new": "accept-new"]
        result["stricthostkeychecking"] = strict[config.strictHostKeyChecking ?? "ask"]
        let defaults = ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"].map { "~/.ssh/" + $0 }
        result["identityfile"] = (config.identityFilesAsWritten.isEmpty ? defaults : config.identityFilesAsWritten).joined(separator: "\n")
        result["identityagent"] = config.identityAgent
        result["hostkeyalias"] = config.hostKeyAlias
        if let jump = config.proxyJump { result["proxyjump"] = jump } else { result["proxycommand"] = config.proxyCommandAsWritten }
        if config.userKnownHostsNone {
            result["userknownhostsfile"] = "none"
        } else {
            let files = config.userKnownHostsFiles.isEmpty ? [home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"] : config.userKnownHostsFiles
            result["userknownhostsfile"] = files.joined(separator: " ")
        }
        let global = config.globalKnownHostsFiles.isEmpty ? ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"] : config.globalKnownHostsFiles
        result["globalknownhostsfile"] = global.first?.lowercased() == "none" ? nil : global.joined(separator: " ")
        return result
    }
}
