/// An accepted range of HTTP statuses, from "200-299" or a single "204".
public struct StatusRange: Sendable, Hashable {
    public var lower: Int
    public var upper: Int

    /// Parses "200-299" or "200"; nil unless both ends are statuses and ordered.
    public init?(parsing text: String) {
        let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), let lower = Int(pieces[0]), let upper = Int(pieces.last ?? "") else { return nil }
        guard (100...599).contains(lower), (100...599).contains(upper), lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ status: Int) -> Bool { (lower...upper).contains(status) }
}
