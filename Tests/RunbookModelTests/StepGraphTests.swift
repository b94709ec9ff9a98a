import RunbookLanguage
import Testing

@testable import RunbookModel

private func step(_ name: String, after: [String] = []) -> Step {
    Step(
        name: name, after: after, timeout: nil, retries: 0, retryDelay: .seconds(1), hostPattern: nil, actions: [],
        location: SourceLocation(line: 1, column: 1, offset: 0))
}

@Suite struct StepGraphTests {
    @Test func diamond() throws {
        let graph = try StepGraph.build(
            steps: [step("a"), step("b", after: ["a"]), step("c", after: ["a"]), step("d", after: ["b", "c"])], verifications: []
        ).get()
        #expect(graph.order == ["a", "b", "c", "d"])
        #expect(graph.waves == [["a"], ["b", "c"], ["d"]])
        #expect(graph.dependents["a"] == ["b", "c"])
        #expect(graph.dependents["d"] == [])
        #expect(graph.wave(of: "c") == 1)
    }

    @Test func tiesAreBrokenByPositionInTheFile() throws {
        let graph = try StepGraph.build(steps: [step("z"), step("y", after: ["x"]), step("x"), step("w")], verifications: []).get()
        #expect(graph.order == ["z", "x", "y", "w"])
        #expect(graph.waves == [["z", "x", "w"], ["y"]])
    }

    @Test func longestChainDecidesTheWave() throws {
        let graph = try StepGraph.build(steps: [step("a"), step("b", after: ["a"]), step("c", after: ["a", "b"])], verifications: []).get()
        #expect(graph.waves == [["a"], ["b"], ["c"]])
    }

    @Test func cycleNamesEveryStepOnIt() {
        let result = StepGraph.build(
            steps: [step("a"), step("b", after: ["d"]), step("c", after: ["b"]), step("d", after: ["c"]), step("e", after: ["d"])],
            verifications: [])
        guard case .failure(let cycle) = result else {
            Issue.record("no cycle found")
            return
        }
        #expect(cycle.steps == ["b", "c", "d"])
    }

    @Test func selfLoopIsACycle() {
        guard case .failure(let cycle) = StepGraph.build(steps: [step("a", after: ["a"])], verifications: []) else {
            Issue.record("no cycle found")
            return
        }
        #expect(cycle.steps == ["a"])
    }

    @Test func renderersShowEveryEdge() throws {
        let runbook = try load("  step :a do\n    run \"x\"\n  end\n  step :b, after: :a do\n    run \"y\"\n  end\n  verify do\n    file \"/x\"\n  end\n").get()
        #expect(
            GraphRenderer.render(runbook, as: .mermaid)
                == "flowchart LR\n  a[\"a\"]\n  b[\"b\"]\n  verify{\"verify\"}\n  a --> b\n  b --> verify\n")
        let dot = GraphRenderer.render(runbook, as: .dot)
        #expect(dot.contains("\"a\" -> \"b\";"))
        #expect(dot.contains("\"b\" -> \"verify\";"))
        #expect(dot.hasPrefix("digraph \"t\" {"))
    }
}
