/// Renders a runbook's step graph as Graphviz dot or a Mermaid flowchart.
public enum GraphRenderer {
    /// The output formats of `runbook graph`.
    public enum Format: String, Sendable, CaseIterable {
        case dot, mermaid
    }

    public static func render(_ runbook: Runbook, as format: Format) -> String {
        let graph = runbook.graph
        var edges: [(String, String)] = []
        for step in graph.order {
            for dependency in graph.dependencies[step] ?? [] { edges.append((dependency, step)) }
        }
        for verification in runbook.verifications {
            for dependency in graph.verificationDependencies[verification.name] ?? [] {
                edges.append((dependency, verification.name))
            }
        }
        switch format {
        case .dot:
            var lines = ["digraph \(quoteDot(runbook.name)) {", "  rankdir=LR;"]
            for (index, wave) in graph.waves.enumerated() {
                lines.append("  subgraph wave\(index) { rank=same; \(wave.map(quoteDot).joined(separator: "; ")); }")
            }
            for verification in runbook.verifications {
                lines.append("  \(quoteDot(verification.name)) [shape=diamond];")
            }
            for (from, to) in edges { lines.append("  \(quoteDot(from)) -> \(quoteDot(to));") }
            lines.append("}")
            return lines.joined(separator: "\n") + "\n"
        case .mermaid:
            var lines = ["flowchart LR"]
            for step in graph.order { lines.append("  \(step)[\"\(step)\"]") }
            for verification in runbook.verifications { lines.append("  \(verification.name){\"\(verification.name)\"}") }
            for (from, to) in edges { lines.append("  \(from) --> \(to)") }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    private static func quoteDot(_ name: String) -> String {
        "\"" + name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
