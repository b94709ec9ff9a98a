/// The subset of Python's `ast.literal_eval` that Ansible's INI reader applies to every value: numbers,
/// strings, `True`/`False`/`None`, lists, tuples and dicts; anything else stays the text it was.
enum PythonLiteral {
    /// The value Ansible gives an INI value: the literal when `literal_eval` accepts it, else the text.
    static func value(_ text: String) -> InventoryValue {
        var parser = Parser(Array(text.unicodeScalars))
        guard let value = parser.parseExpression(depth: 0) else { return .string(text) }
        parser.skipSpace()
        return parser.atEnd ? value : .string(text)
    }

    private struct Parser {
        var scalars: [Unicode.Scalar]
        var index = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool { index >= scalars.count }
        var current: Unicode.Scalar? { atEnd ? nil : scalars[index] }

        /// Skips blanks and a `#` comment, as Python's tokenizer does.
        mutating func skipSpace() {
            while let scalar = current {
                if scalar == " " || scalar == "\t" {
                    index += 1
                } else if scalar == "#" {
                    while let next = current, next != "\n" { index += 1 }
                } else {
                    return
                }
            }
        }

        mutating func parseExpression(depth: Int) -> InventoryValue? {
            // Deep nesting is not a value anyone writes; the text stays a string.
            guard depth < 64 else { return nil }
            skipSpace()
            guard let scalar = current else { return nil }
            switch scalar {
            case "[": return parseSequence(close: "]", depth: depth)
            case "(": return parseSequence(close: ")", depth: depth)
            case "{": return parseDict(depth: depth)
            case "'", "\"": return parseStrings()
            case "-", "+":
                index += 1
                guard let operand = parseExpression(depth: depth + 1) else { return nil }
                switch operand {
                case .int(let value): return scalar == "-" ? .int(-value) : .int(value)
                case .double(let value): return scalar == "-" ? .double(-value) : .double(value)
                default: return nil
                }
            default:
                if scalar.properties.numericType != nil || scalar == "." { return parseNumber() }
                return parseName()
            }
        }

        mutating func parseName() -> InventoryValue? {
            var name = ""
            while let scalar = current, scalar.properties.isAlphabetic || scalar == "_" || ("0"..."9").contains(scalar) {
                name.unicodeScalars.append(scalar)
                index += 1
            }
            switch name {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .null
            default: return nil
            }
        }

        mutating func parseNumber() -> InventoryValue? {
            var text = ""
            while let scalar = current, scalar.isASCII,
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "."
                    || ((scalar == "+" || scalar == "-") && (text.hasSuffix("e") || text.hasSuffix("E")) && !text.hasPrefix("0x"))
            {
                text.unicodeScalars.append(scalar)
                index += 1
            }
            if text.hasPrefix("_") || text.hasSuffix("_") || text.contains("__") { return nil }
            let digits = String(text.filter { $0 != "_" })
            let lowered = digits.lowercased()
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lowered.hasPrefix(prefix) {
                return Int(lowered.dropFirst(2), radix: radix).map(InventoryValue.int)
            }
            if digits.allSatisfy({ ("0"..."9").contains($0) }) {
                // Python 3 refuses leading zeros (`01`) except for zero itself.
                if digits.count > 1, digits.hasPrefix("0"), digits.contains(where: { $0 != "0" }) { return nil }
                return Int(digits).map(InventoryValue.int)
            }
            if lowered.contains("j") { return nil }
            guard lowered.contains(where: { $0 == "." || $0 == "e" }), let value = Double(lowered) else { return nil }
            return .double(value)
        }

        /// One or more adjacent string literals, concatenated as Python does.
        mutating func parseStrings() -> InventoryValue? {
            var result = ""
            var any = false
            while true {
                skipSpace()
                guard let quote = current, quote == "'" || quote == "\"" else { break }
                guard let piece = parseString(quote) else { return nil }
                result += piece
                any = true
            }
            return any ? .string(result) : nil
        }

        mutating func parseString(_ quote: Unicode.Scalar) -> String? {
            let triple = index + 2 < scalars.count && scalars[index + 1] == quote && scalars[index + 2] == quote
            index += triple ? 3 : 1
            var text = ""
            while let scalar = current {
                if scalar == quote {
                    if !triple {
                        index += 1
                        return text
                    }
                    if index + 2 < scalars.count, scalars[index + 1] == quote, scalars[index + 2] == quote {
                        index += 3
                        return text
                    }
                }
                if scalar == "\n", !triple { return nil }
                if scalar == "\\" {
                    index += 1
                    guard let escaped = current else { return nil }
                    index += 1
                    switch escaped {
                    case "n": text += "\n"
                    case "t": text += "\t"
                    case "r": text += "\r"
                    case "0": text += "\0"
                    case "\\", "'", "\"": text.unicodeScalars.append(escaped)
                    case "\n": break
                    default: text += "\\" + String(escaped)
                    }
                    continue
                }
                text.unicodeScalars.append(scalar)
                index += 1
            }
            return nil
        }

        mutating func parseSequence(close: Unicode.Scalar, depth: Int) -> InventoryValue? {
            index += 1
            var items: [InventoryValue] = []
            var sawComma = false
            while true {
                skipSpace()
                if current == close {
                    index += 1
                    // `(1)` is 1, not a tuple; `(1,)` is a tuple.
                    if close == ")", items.count == 1, !sawComma { return items[0] }
                    return .list(items)
                }
                guard let item = parseExpression(depth: depth + 1) else { return nil }
                items.append(item)
                skipSpace()
                if current == "," {
                    index += 1
                    sawComma = true
                } else if current != close {
                    return nil
                }
            }
        }

        mutating func parseDict(depth: Int) -> InventoryValue? {
            index += 1
            var entries: [String: InventoryValue] = [:]
            while true {
                skipSpace()
                if current == "}" {
                    index += 1
                    return .map(entries)
                }
                guard let key = parseExpression(depth: depth + 1) else { return nil }
                skipSpace()
                // A set (`{1, 2}`) has no JSON form Ansible could print; it stays text.
                guard current == ":" else { return nil }
                index += 1
                guard let value = parseExpression(depth: depth + 1) else { return nil }
                entries[key.description] = value
                skipSpace()
                if current == "," {
                    index += 1
                } else if current != "}" {
                    return nil
                }
            }
        }
    }
}
