import Foundation
import Planning
import TestSupport
import Testing
import Wire

/// The contract of issue 11: what `apply` sends to a host is what `plan` listed, byte for byte. A real
/// sshd whose ForceCommand logs every exec request and the standard input that follows it (then runs
/// it) takes the run; every logged pair must be one of the plan's exchanges, rendered with the run's
/// secrets, and the ones sent always must come in the plan's order.
@Suite(.serialized) struct ExchangeContractTests {
    static let contract = """
        param :dir, type: :path, default: "/tmp"
        param :token, secret: true, default: "t0k'en $(x)"
        step :prepare do
          run "mkdir -p #{dir}/app/releases/r1 #{dir}/app/.next && printf %s \\"$TOKEN\\" > #{dir}/app/token", env: { TOKEN: token }, creates: "#{dir}/never"
          clean_cache "#{dir}/app/.next"
        end
        step :link, after: :prepare do
          symlink "#{dir}/app/current", to: "#{dir}/app/releases/r1"
          upload "Package.swift", to: "#{dir}/app/Package.swift", mode: "0600"
        end
        step :check, after: :link, retries: 1, retry_delay: "1s" do
          run "test -L #{dir}/app/current", unless: "false"
        end
        step :chained, after: :check do
          run "printf %s #{token} > #{dir}/app/chained"
          run "echo one"
        end
        step :chained_too, after: :chained do
          run "cat #{dir}/app/chained"
        end
        verify after: :check, within: "3s" do
          file "#{dir}/app/token", exists: true
          not_listening 1
          command "cat #{dir}/app/token", contains: "t0k"
        end
        rollback do
          run "touch #{dir}/rolled-back"
        end
        """

    static let cases =
        ["contract", "failing"]
        + ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("runbooks").path)) ?? [])
        .filter { $0.hasSuffix(".rb") }.sorted().map { "runbooks/" + $0 }

    /// Values the example runbooks need and have no default for (a secret among them).
    static func values(of runbook: String) -> [String: String] {
        let text = (try? String(contentsOf: repositoryRoot.appendingPathComponent(runbook), encoding: .utf8)) ?? ""
        return text.contains(":redis_password") ? ["redis_password": "s3cr'et"] : [:]
    }

    static func logger(_ folder: String) -> String {
        """
        #!/bin/sh
        n=$(date +%s%N).$$
        case "$SSH_ORIGINAL_COMMAND" in internal-sftp|*sftp-server*) exec /usr/lib/openssh/sftp-server ;; esac
        printf '%s' "$SSH_ORIGINAL_COMMAND" > \(folder)/$n.request
        p=
        while IFS= read -r line; do p="$p$line
        "; [ "$line" = '} \(Starter.endMarker)' ] && break; done
        printf '%s' "$p" > \(folder)/$n.stdin
        case "$SSH_ORIGINAL_COMMAND" in
          "exec sh -s") exec sh -c "$p" ;;
          "exec sudo -n sh -s") exec sudo -n sh -c "$p" ;;
          *) echo "not a planned request: $SSH_ORIGINAL_COMMAND" >&2; exit 99 ;;
        esac
        """
    }

    @Test(arguments: cases) func applySendsOnlyWhatThePlanListed(_ name: String) async throws {
        let folder = try workFolder("contract")
        let log = folder + "/log"
        try shell("mkdir -m 777 \(log)")
        try Self.logger(log).write(toFile: "\(folder)/force.sh", atomically: true, encoding: .utf8)
        try shell("chmod 755 \(folder)/force.sh")
        let server = try TestSSHServer(extraConfig: ["ForceCommand \(folder)/force.sh"])
        let body =
            name == "contract"
            ? Self.contract : name == "failing" ? Self.contract.replacingOccurrences(of: "test -L", with: "test -f") : name
        nonisolated(unsafe) var captured: RunPlan?
        _ = try await apply(
            body, on: [server], vars: [["dir": folder + "/host", "supervisor": "supervisord"]],
            set: name.hasPrefix("runbooks/") ? Self.values(of: name) : ["dir": folder + "/host"],
            planned: { captured = $0 })
        let plan = try #require(captured?.hosts.first)
        // The contract's two last steps are plain commands: one chain, sent as one exec.
        if name == "contract" { #expect(plan.chains.map(\.steps) == [["chained", "chained_too"]]) }
        // Inputs (a pid a probe read) are only known during the run: both sides show their names.
        func normalized(_ stdin: String) -> String {
            stdin.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                for name in ["RUNBOOK_PID", "RUNBOOK_SINCE"] where line.hasPrefix("export \(name)=") { return "export \(name)=<\(name)>" }
                return String(line)
            }.joined(separator: "\n")
        }
        var planned: [(phase: Exchange.Phase, when: String?, request: String, stdin: String)] = []
        for exchange in plan.exchanges {
            guard let command = exchange.command else { continue }
            let inputs = Dictionary(uniqueKeysWithValues: command.inputs.map { ($0, "x") })
            let message = try command.message(secrets: plan.secretValues, inputs: inputs)
            planned.append((exchange.phase, exchange.when, message.request, normalized(message.stdin)))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".request") }.sorted()
        #expect(!names.isEmpty)
        var position = 0
        for file in names {
            let request = try String(contentsOfFile: "\(log)/\(file)", encoding: .utf8)
            let stdin = normalized(try String(contentsOfFile: "\(log)/\(file.dropLast(8)).stdin", encoding: .utf8))
            guard planned.contains(where: { $0.request == request && $0.stdin == stdin }) else {
                Issue.record("\(name): sent bytes the plan does not list:\n\(request)\n\(stdin)")
                continue
            }
            // Exchanges sent on every path come in the plan's order.
            if let index = planned[position...].firstIndex(where: { $0.request == request && $0.stdin == stdin && $0.when == nil }) {
                position = index + 1
            }
        }
        #expect(names.count >= (name == "contract" ? 10 : 2), "\(name): only \(names.count) commands were sent")
    }
}
