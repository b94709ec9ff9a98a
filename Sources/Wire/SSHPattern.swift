/// OpenSSH's own wildcard patterns (match.c): only `*` and `?`, no brackets, and comma lists with
/// `!` negation. ssh_config's `Host`, `Match` and known_hosts names use them.
public enum SSHPattern {
    /// True when `text` matches one pattern (case-sensitive, as match_pattern).
    public static func matches(_ text: String, _ pattern: String) -> Bool {
        matches(Array(text.utf8)[...], Array(pattern.utf8)[...])
    }

    /// The same language as match.c's recursive matcher, walked with one backtracking point (the
    /// last `*`), so time stays O(text × pattern) where the recursion can take exponential time.
    private static func matches(_ s: ArraySlice<UInt8>, _ p: ArraySlice<UInt8>) -> Bool {
        let text = Array(s)
        let pattern = Array(p)
        let star = UInt8(ascii: "*")
        let any = UInt8(ascii: "?")
        var t = 0
        var q = 0
        var starAt = -1
        var resumeAt = 0
        while t < text.count {
            if q < pattern.count, pattern[q] == star {
                starAt = q
                resumeAt = t
                q += 1
            } else if q < pattern.count, pattern[q] == any || pattern[q] == text[t] {
                q += 1
                t += 1
            } else if starAt >= 0 {
                q = starAt + 1
                resumeAt += 1
                t = resumeAt
            } else {
                return false
            }
        }
        while q < pattern.count, pattern[q] == star { q += 1 }
        return q == pattern.count
    }

    /// match_pattern_list: 1 for a positive match, -1 when a negated pattern matches, 0 otherwise;
    /// `lowercasePatterns` lowers the patterns (match_hostname also lowers the text).
    public static func matchList(_ text: String, _ list: String, lowercasePatterns: Bool) -> Int {
        var positive = false
        let bytes = Array(list.utf8)
        var index = 0
        // The same walk as match.c: a trailing comma adds no empty pattern.
        while index < bytes.count {
            let negated = bytes[index] == UInt8(ascii: "!")
            if negated { index += 1 }
            var sub: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") {
                let byte = bytes[index]
                sub.append(lowercasePatterns && byte >= 65 && byte <= 90 ? byte + 32 : byte)
                index += 1
            }
            // OpenSSH gives up on subpatterns of 1023 bytes or more: no match at all.
            if sub.count >= 1023 { return 0 }
            if index < bytes.count { index += 1 }
            if matches(Array(text.utf8)[...], sub[...]) {
                if negated { return -1 }
                positive = true
            }
        }
        return positive ? 1 : 0
    }

    /// match_hostname: the host name lowered, patterns lowered.
    public static func matchHostname(_ host: String, _ list: String) -> Int {
        matchList(asciiLowercased(host), list, lowercasePatterns: true)
    }

    /// ASCII-only lowering, as C's tolower in the C locale.
    public static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
