/// The steps' dependency graph: a deterministic topological order, waves of steps that may run
/// together, and each step's dependents. Verifications hang off the steps they follow.
public struct StepGraph: Sendable, Hashable {
    /// Step names in an order that respects every `after:`, ties broken by position in the file.
    public private(set) var order: [String]
    /// Groups of steps that may run at the same time: wave N holds steps whose longest chain of
    /// dependencies has N links.
    public private(set) var waves: [[String]]
    /// For each step, the steps that name it in `after:`, in file order.
    public private(set) var dependents: [String: [String]]
    /// For each step, its dependencies.
    public private(set) var dependencies: [String: [String]]
    /// For each verification, the steps it waits for (all steps when it names none).
    public private(set) var verificationDependencies: [String: [String]]

    /// A cycle found while ordering, named step by step.
    public struct Cycle: Error, Sendable, Hashable {
        public var steps: [String]
    }

    init(steps: [Step], verifications: [Verification]) {
        order = []
        waves = []
        dependents = [:]
        dependencies = [:]
        verificationDependencies = [:]
    }

    /// Orders the steps; fails with the first cycle found (in file order).
    public static func build(steps: [Step], verifications: [Verification]) -> Result<StepGraph, Cycle> {
        var graph = StepGraph(steps: steps, verifications: verifications)
        let position = Dictionary(steps.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var remaining: [String: Int] = [:]
        for step in steps {
            let deps = unique(step.after.filter { position[$0] != nil })
            graph.dependencies[step.name] = deps
            remaining[step.name] = deps.count
            graph.dependents[step.name, default: []] += []
            for dependency in deps { graph.dependents[dependency, default: []].append(step.name) }
        }
        // Kahn's algorithm; the ready set is kept sorted by file position.
        var ready = steps.filter { remaining[$0.name] == 0 }.map(\.name)
        var wave: [String: Int] = [:]
        while !ready.isEmpty {
            let name = ready.removeFirst()
            graph.order.append(name)
            let level = (graph.dependencies[name] ?? []).map { (wave[$0] ?? 0) + 1 }.max() ?? 0
            wave[name] = level
            for dependent in graph.dependents[name] ?? [] {
                remaining[dependent, default: 0] -= 1
                if remaining[dependent] == 0 {
                    let index = ready.firstIndex { (position[$0] ?? 0) > (position[dependent] ?? 0) } ?? ready.count
                    ready.insert(dependent, at: index)
                }
            }
        }
        if graph.order.count < steps.count {
            return .failure(findCycle(steps: steps, ordered: Set(graph.order), dependencies: graph.dependencies))
        }
        let depth = (wave.values.max() ?? -1) + 1
        var waves = [[String]](repeating: [], count: depth)
        for name in graph.order { waves[wave[name] ?? 0].append(name) }
        graph.waves = waves
        let sinks = steps.map(\.name).filter { graph.dependents[$0]?.isEmpty ?? true }
        for verification in verifications {
            graph.verificationDependencies[verification.name] = verification.after.isEmpty ? sinks : unique(verification.after)
        }
        return .success(graph)
    }

    /// The wave (0-based) a step runs in.
    public func wave(of step: String) -> Int? { waves.firstIndex { $0.contains(step) } }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// Walks dependencies from the first unordered step until a name repeats.
    private static func findCycle(steps: [Step], ordered: Set<String>, dependencies: [String: [String]]) -> Cycle {
        let unordered = steps.map(\.name).filter { !ordered.contains($0) }
        guard let start = unordered.first else { return Cycle(steps: []) }
        var path: [String] = []
        var indexOnPath: [String: Int] = [:]
        var current = start
        while indexOnPath[current] == nil {
            indexOnPath[current] = path.count
            path.append(current)
            guard let next = (dependencies[current] ?? []).first(where: { !ordered.contains($0) }) else { break }
            current = next
        }
        let cycleStart = indexOnPath[current] ?? 0
        // Dependencies point backwards; reverse so the cycle reads in running order.
        var cycle = Array(path[cycleStart...].reversed())
        if let first = steps.map(\.name).first(where: { cycle.contains($0) }), let at = cycle.firstIndex(of: first) {
            cycle = Array(cycle[at...] + cycle[..<at])
        }
        return Cycle(steps: cycle)
    }
}
