/// Shell-style wildcard matching (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`), as fnmatch and ssh_config use it.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        matches(Array(pattern), 0, Array(text), 0)
    }

    public static func hasWildcards(_ pattern: String) -> Bool {
        pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    private static func matches(_ p: [Character], _ pi: Int, _ t: [Character], _ ti: Int) -> Bool {
        var pi = pi
        var ti = ti
        var starP = -1
        var starT = -1
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                starP = pi
                starT = ti
                pi += 1
                continue
            }
            if pi < p.count, let (matched, next) = single(p, pi, t[ti]), matched {
                pi = next
                ti += 1
                continue
            }
            if starP >= 0 {
                pi = starP + 1
                starT += 1
                ti = starT
                continue
            }
            return false
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches one pattern element against a character: (matched, index after the element).
    private static func single(_ p: [Character], _ pi: Int, _ c: Character) -> (Bool, Int)? {
        switch p[pi] {
        case "?": return (true, pi + 1)
        case "[":
            var index = pi + 1
            var negate = false
            if index < p.count, p[index] == "!" || p[index] == "^" {
                negate = true
                index += 1
            }
            var matched = false
            var first = true
            while index < p.count, p[index] != "]" || first {
                first = false
                if index + 2 < p.count, p[index + 1] == "-", p[index + 2] != "]" {
                    if p[index] <= c && c <= p[index + 2] { matched = true }
                    index += 3
                } else {
                    if p[index] == c { matched = true }
                    index += 1
                }
            }
            guard index < p.count else { return (p[pi] == c, pi + 1) }  // no `]`: a literal `[`
            return (matched != negate, index + 1)
        default:
            return (p[pi] == c, pi + 1)
        }
    }
}
