import Foundation
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// `Match` lines, evaluated as readconf.c's match_cfg_line does.
enum SSHMatch {
    /// What the criteria are compared with.
    struct Context {
        var host: String
        var originalHost: String
        var remoteUser: String
        var localUser: String
        var finalPass: Bool
        /// Runs an expanded `exec` command; true when it exits 0.
        var exec: (String) -> Bool
        /// Expands the tokens of an `exec` command.
        var expand: (String) -> String
    }

    /// nil when the line is well formed; the message ssh would give otherwise.
    static func syntaxProblem(_ rest: [UInt8]) -> String? {
        var context = Context(
            host: "", originalHost: "", remoteUser: "", localUser: "", finalPass: false, exec: { _ in true }, expand: { $0 })
        context.finalPass = false
        switch evaluate(rest, context, wantFinal: nil) {
        case .failure(let error): return error.message
        case .success(let (_, consumedAll)): return consumedAll ? nil : "Match: extra arguments at end of line"
        }
    }

    /// (matched, consumed every argument), or the error ssh reports.
    static func evaluate(_ rest: [UInt8], _ context: Context, wantFinal: UnsafeMutablePointer<Bool>?) -> Result<(Bool, Bool), MatchError> {
        var cursor: [UInt8]? = rest
        var result = true
        var attributes = 0
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        while let raw = SSHConfigSyntax.strdelim(&cursor), !raw.isEmpty {
            if raw.first == UInt8(ascii: "#") {
                cursor = nil
                break
            }
            var attribute = text(raw)
            let negate = attribute.hasPrefix("!")
            if negate { attribute.removeFirst() }
            let name = attribute.lowercased()
            if name == "all" {
                let next = SSHConfigSyntax.strdelim(&cursor)
                if attributes > 1 || (next.map { !$0.isEmpty && $0.first != UInt8(ascii: "#") } ?? false) {
                    return .failure(MatchError("'\(text(raw))' cannot be combined with other Match attributes"))
                }
                if next?.first == UInt8(ascii: "#") { cursor = nil }
                if result { result = !negate }
                return .success((result, cursor == nil || cursor?.isEmpty == true))
            }
            attributes += 1
            if name == "canonical" || name == "final" {
                if name == "final" { wantFinal?.pointee = true }
                if context.finalPass == negate { result = false }
                continue
            }
            guard let argumentBytes = SSHConfigSyntax.strdelim(&cursor), !argumentBytes.isEmpty, argumentBytes.first != UInt8(ascii: "#") else {
                return .failure(MatchError("Missing Match criteria for \(attribute)"))
            }
            let argument = text(argumentBytes)
            let matched: Bool
            switch name {
            case "host": matched = SSHPattern.matchHostname(context.host, argument) == 1
            case "originalhost": matched = SSHPattern.matchHostname(context.originalHost, argument) == 1
            case "user": matched = SSHPattern.matchList(context.remoteUser, argument, lowercasePatterns: false) == 1
            case "localuser": matched = SSHPattern.matchList(context.localUser, argument, lowercasePatterns: false) == 1
            case "exec":
                // A command after a failed criterion is never run, as in ssh.
                if !result { continue }
                matched = context.exec(context.expand(argument))
            default:
                return .failure(MatchError("Unsupported Match attribute \(attribute)"))
            }
            if matched == negate { result = false }
        }
        if attributes == 0 { return .failure(MatchError("One or more attributes required for Match")) }
        return .success((result, cursor == nil || cursor?.isEmpty == true))
    }

    /// A malformed Match line.
    struct MatchError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Runs `command` with $SHELL (or /bin/sh) as ssh's execute_in_shell: standard input and output
    /// on /dev/null, standard error shared; true when it exits 0.
    static func runShell(_ command: String, environment: [String: String]) -> Bool {
        // posix_spawn rather than Foundation.Process, whose reaper thread can block on other children.
        let shell = environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = [shell, "-c", command]
        let env = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = env.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments + cEnvironment { free(pointer) }
        }
        guard posix_spawn(&pid, shell, &actions, nil, cArguments, cEnvironment) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return false }
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        return status & 0x7F == 0 && (status >> 8) & 0xFF == 0
    }
}
