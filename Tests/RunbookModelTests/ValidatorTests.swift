import RunbookLanguage
import Testing

@testable import Planning
@testable import RunbookModel

func load(_ body: String, params: String = "") -> Result<Runbook, DiagnosticList> {
    Validator.load(SourceFile(path: "t.rb", text: "runbook \"t\" do\n\(params)\(body)end\n"))
}

func errors(_ body: String, params: String = "") -> [Diagnostic] {
    switch load(body, params: params) {
    case .success: return []
    case .failure(let list): return list.diagnostics
    }
}

@Suite struct ValidatorTests {
    @Test func buildsTheTypedModel() throws {
        let source = """
            runbook "recover" do
              description "fix it"
              param :app, default: "shop"
              param :port, type: :port, default: 3002
              param :token, secret: true, required: true
              supervisor :supervisord
              rollout serial: "25%", canary: 1, max_fail: 2, pause: "10s", rollback: :fleet
              lock "deploy", wait: "30s"
              step :stop, timeout: "5m", retries: 2, retry_delay: "1s", on: "web*" do
                stop app
                run "echo #{token}", cwd: "/srv", env: { A: "b" }, sudo: true, unless: "false", undo: "echo undo"
              end
              step :go, after: :stop do
                free_port port, signal: :KILL, grace: "1s"
                wait_for http: "http://127.0.0.1:#{port}/", status: [200, 204]
              end
              verify after: :go, within: "1m" do
                listening port, address: "0.0.0.0", process: "node"
                http "http://x/", status: "200-299", from: :controller
                file "/tmp/x", exists: false
              end
              rollback do
                restart app
              end
            end
            """
        let runbook = try Validator.load(SourceFile(path: "t.rb", text: source)).get()
        #expect(runbook.name == "recover")
        #expect(runbook.description == "fix it")
        #expect(runbook.params.map(\.name) == ["app", "port", "token"])
        #expect(runbook.params[1].type == .port)
        #expect(runbook.params[2].secret && runbook.params[2].required)
        #expect(runbook.supervisor == .supervisord)
        #expect(runbook.rollout.serial == .percent(25))
        #expect(runbook.rollout.canary == 1)
        #expect(runbook.rollout.maxFail == .count(2))
        #expect(runbook.rollout.pause == .seconds(10))
        #expect(runbook.rollout.rollback == .fleet)
        #expect(runbook.lock.name == "deploy" && runbook.lock.wait == .seconds(30))
        let stop = runbook.steps[0]
        #expect(stop.timeout == .seconds(300) && stop.retries == 2 && stop.retryDelay == .seconds(1) && stop.hostPattern == "web*")
        #expect(stop.actions.map(\.keyword) == ["stop", "run"])
        guard let run = stop.actions[1].kind as? RunAction else {
            Issue.record("not a run")
            return
        }
        #expect(run.sudo)
        #expect(run.env.map(\.key) == ["A"])
        #expect(run.undo == .text("echo undo"))
        #expect(runbook.steps[1].actions[0].kind as? FreePortAction == FreePortAction(port: .reference("port"), signal: "KILL", grace: .text("1s")))
        #expect(runbook.verifications.first?.within == .seconds(60))
        #expect(runbook.verifications.first?.assertions.map(\.keyword) == ["listening", "http", "file"])
        #expect(runbook.rollback.map(\.keyword) == ["restart"])
    }

    private static let step = "  step :s do\n    run \"x\"\n  end\n"

    @Test(arguments: [
        ("  step :s do\n    fre_port 3002\n  end\n", "unknown action `fre_port`; did you mean `free_port`?", 3, 5),
        ("  step :s do\n    listening 3002\n  end\n", "unknown action `listening` (`listening` is an assertion; assertions go inside `verify`)", 3, 5),
        (step + "  verify do\n    listen 3002\n  end\n", "unknown assertion `listen`; did you mean `listening`?", 6, 5),
        ("  stepp :s do\n    run \"x\"\n  end\n", "unknown statement `stepp`; did you mean `step`?", 2, 3),
        ("  step :s do\n    run \"x\", cwdd: \"/\"\n  end\n", "unknown keyword argument `cwdd:` for the action `run`; did you mean `cwd:`?", 3, 14),
        ("  step :s do\n    free_port 70000\n  end\n", "the port of the action `free_port` must be a port (1-65535), not 70000", 3, 15),
        (
            "  step :s do\n    free_port 3002, grace: \"10 parsecs\"\n  end\n",
            "`grace:` of the action `free_port` must be a duration such as \"500ms\", \"30s\", \"5m\" or \"1h\", not \"10 parsecs\"", 3, 28
        ),
        (
            "  step :s, timeout: \"soon\" do\n    run \"x\"\n  end\n",
            "`timeout:` of `step` must be a duration such as \"500ms\", \"30s\", \"5m\" or \"1h\", not \"soon\"", 2, 21
        ),
        ("  step :s do\n    free_port prot\n  end\n", "unknown parameter `prot`; did you mean `port`? (declare it with `param :prot`)", 3, 15),
        ("  step :s do\n    run \"#{prot}\"\n  end\n", "unknown name `prot` in `#{...}`; did you mean `port`? (declare it with `param :prot`)", 3, 10),
        (step + step, "the step `s` is defined twice (first on line 5)", 5, 3),
        ("  step :s, after: :t do\n    run \"x\"\n  end\n", "the step `s` runs after `t`, which is not a step", 2, 3),
        ("  step :s do\n  end\n", "the step `s` is empty; give it at least one action", 2, 3),
        (
            "  step :s do\n    run \"x\"\n  end\n  step :t, after: :u do\n    run \"x\"\n  end\n  step :u, after: :t do\n    run \"x\"\n  end\n",
            "the steps form a cycle: `t` → `u` → `t`", 5, 3
        ),
        ("  supervisor :pm3\n" + step, "the kind of `supervisor` must be one of :pm2, :systemd, :supervisord, :docker, not `:pm3`; did you mean `pm2`?", 2, 14),
        ("  step :s do\n    run\n  end\n", "the action `run` needs its command (a string)", 3, 5),
        ("  step :s do\n    upload \"a\"\n  end\n", "the action `upload` needs `to:` (a string)", 3, 5),
        ("  step :s do\n    run \"x\", sudo: \"yes\"\n  end\n", "`sudo:` of the action `run` must be `true` or `false`, not a string", 3, 20),
        ("  step :s do\n    wait_for port: 1, http: \"x\"\n  end\n", "`wait_for` waits for one thing: give `port:` or `http:`, not both", 3, 5),
        (
            step + "  verify do\n    http \"x\", status: 999\n  end\n",
            "`status:` of the assertion `http` must be an HTTP status: an integer, an array of integers, or a range such as \"200-299\", not 999", 6, 23
        ),
        (step + "  verify do\n    restarts \"a\"\n  end\n", "the assertion `restarts` needs `max:` (an integer of 0 or more)", 6, 5),
        (step + "  rollout serial: \"lots\"\n", "`serial:` of `rollout` must be a count or a percentage such as \"25%\", not a string", 5, 19),
        (
            "  step :s do\n    free_port flag\n  end\n", "the port of the action `free_port` must be a port (1-65535), but `flag` is a parameter of type :bool",
            3, 15
        ),
        ("  step name do\n    run \"x\"\n  end\n", "the name of `step` must be a literal (a symbol), not the parameter `name`", 2, 8),
        ("", "the runbook `t` has no steps; add `step :name do ... end`", 1, 1),
    ])
    func validationErrors(body: String, message: String, line: Int, column: Int) {
        let params = "param :port, type: :port, default: 1\nparam :flag, default: true\nparam :name, default: \"n\"\n"
        // The params take three lines, so shift the expected line unless the error is on line 1.
        let found = errors(body, params: params)
        let shift = line == 1 ? 0 : 3
        let match = found.first { $0.message == message }
        #expect(match != nil, "messages: \(found.map(\.message))")
        #expect(match?.location.line == line + shift)
        #expect(match?.location.column == column)
    }

    @Test(arguments: [
        ("param :p, type: :port, default: 0", "the default of `p` is 0, which is not a port (1-65535)"),
        ("param :p, type: :duration, default: \"10 parsecs\"", "the default of `p` is \"10 parsecs\", which is not a duration such as \"30s\" or \"5m\""),
        ("param :p, type: :int, default: \"x\"", "the default of `p` is a string, but the parameter is of type :int"),
        ("param :p, type: :port\nparam :p", "the parameter `p` is declared twice (first on line 2)"),
        ("param :p, type: :colour", "`type:` of `param` must be one of :string, :int, :port, :path, :duration, :bool, :shell, not `:colour`"),
        ("param :p, required: true, default: 1", "the parameter `p` is `required: true` and has a default; drop one of them"),
        ("param :host", "`host` is a built-in value and cannot be declared as a parameter"),
    ])
    func parameterErrors(declaration: String, message: String) {
        let found = errors(Self.step, params: declaration + "\n")
        #expect(found.first?.message == message)
    }

    @Test func reportsAllErrorsOfAFile() {
        let found = errors("  step :a do\n    fre_port 1\n    run \"#{nope}\"\n  end\n  verify do\n    listen 1\n  end\n")
        #expect(found.count == 3)
        #expect(found.map(\.location.line) == [3, 4, 7])
    }

    @Test func typeIsInferredFromTheDefault() throws {
        let runbook = try load(Self.step, params: "param :n, default: 3\nparam :b, default: false\nparam :s, default: \"x\"\n").get()
        #expect(runbook.params.map(\.type) == [.int, .bool, .string])
    }

    @Test func verifyWithoutAfterWaitsForEverySink() throws {
        let runbook = try load("  step :a do\n    run \"x\"\n  end\n  step :b do\n    run \"y\"\n  end\n  verify do\n    file \"/x\"\n  end\n").get()
        #expect(runbook.graph.verificationDependencies["verify"] == ["a", "b"])
    }
}
